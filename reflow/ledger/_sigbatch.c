/* Ed25519 verification of a whole batch of records in one call that releases the GIL once.
 *
 * Why this exists: a node verifies records on a second thread while the first judges them, but
 * PyNaCl releases and re-takes the GIL around every single verification, and a thread that wants
 * the GIL back behind a busy thread waits a whole switch interval (5 ms). Verifying record by
 * record on that thread ran at a fifth of libsodium's speed. Here the batch's buffers are
 * gathered while holding the GIL, then libsodium runs over all of them with the GIL released.
 *
 * libsodium is the copy PyNaCl already loaded: `bind(path)` dlopen()s that library and looks up
 * crypto_sign_verify_detached, so there is no second libsodium and no header to install.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>

typedef int (*verify_fn)(const unsigned char *sig, const unsigned char *m,
                         unsigned long long mlen, const unsigned char *pk);

static verify_fn verify_detached = NULL;

static PyObject *bind(PyObject *self, PyObject *args) {
    const char *path;
    if (!PyArg_ParseTuple(args, "s", &path)) return NULL;
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        PyErr_Format(PyExc_OSError, "cannot load libsodium from %s: %s", path, dlerror());
        return NULL;
    }
    int (*init)(void) = (int (*)(void))dlsym(lib, "sodium_init");
    verify_fn fn = (verify_fn)dlsym(lib, "crypto_sign_verify_detached");
    if (init == NULL || fn == NULL) {
        PyErr_Format(PyExc_OSError, "%s does not export libsodium's Ed25519 functions", path);
        return NULL;
    }
    if (init() < 0) {
        PyErr_SetString(PyExc_OSError, "sodium_init failed");
        return NULL;
    }
    verify_detached = fn;
    Py_RETURN_NONE;
}

/* verify_many(signatures, messages, keys) -> bytes: 1 where the signature holds, else 0.
 * A signature that is not 64 bytes or a key that is not 32 bytes simply does not hold. */
static PyObject *verify_many(PyObject *self, PyObject *args) {
    PyObject *sigs_in, *msgs_in, *keys_in;
    if (!PyArg_ParseTuple(args, "OOO", &sigs_in, &msgs_in, &keys_in)) return NULL;
    if (verify_detached == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "call bind() first");
        return NULL;
    }
    PyObject *sigs = PySequence_Fast(sigs_in, "signatures must be a sequence of bytes");
    PyObject *msgs = PySequence_Fast(msgs_in, "messages must be a sequence of bytes");
    PyObject *keys = PySequence_Fast(keys_in, "keys must be a sequence of bytes");
    PyObject *result = NULL;
    const unsigned char **s = NULL, **m = NULL, **k = NULL;
    unsigned long long *mlen = NULL;
    unsigned char *ok = NULL;
    if (sigs == NULL || msgs == NULL || keys == NULL) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(sigs);
    if (PySequence_Fast_GET_SIZE(msgs) != n || PySequence_Fast_GET_SIZE(keys) != n) {
        PyErr_SetString(PyExc_ValueError, "signatures, messages and keys differ in length");
        goto done;
    }
    s = PyMem_Malloc(sizeof(*s) * (n + 1));
    m = PyMem_Malloc(sizeof(*m) * (n + 1));
    k = PyMem_Malloc(sizeof(*k) * (n + 1));
    mlen = PyMem_Malloc(sizeof(*mlen) * (n + 1));
    ok = PyMem_Malloc(n + 1);
    if (!s || !m || !k || !mlen || !ok) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *si = PySequence_Fast_GET_ITEM(sigs, i);
        PyObject *mi = PySequence_Fast_GET_ITEM(msgs, i);
        PyObject *ki = PySequence_Fast_GET_ITEM(keys, i);
        if (!PyBytes_Check(si) || !PyBytes_Check(mi) || !PyBytes_Check(ki)) {
            PyErr_SetString(PyExc_TypeError, "signatures, messages and keys must be bytes");
            goto done;
        }
        /* the sequences hold references to these bytes objects until we return */
        s[i] = (const unsigned char *)PyBytes_AS_STRING(si);
        m[i] = (const unsigned char *)PyBytes_AS_STRING(mi);
        k[i] = (const unsigned char *)PyBytes_AS_STRING(ki);
        mlen[i] = (unsigned long long)PyBytes_GET_SIZE(mi);
        ok[i] = PyBytes_GET_SIZE(si) == 64 && PyBytes_GET_SIZE(ki) == 32;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        if (ok[i]) ok[i] = verify_detached(s[i], m[i], mlen[i], k[i]) == 0;
    }
    Py_END_ALLOW_THREADS
    result = PyBytes_FromStringAndSize((const char *)ok, n);
done:
    PyMem_Free(s);
    PyMem_Free(m);
    PyMem_Free(k);
    PyMem_Free(mlen);
    PyMem_Free(ok);
    Py_XDECREF(sigs);
    Py_XDECREF(msgs);
    Py_XDECREF(keys);
    return result;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_VARARGS, "Load crypto_sign_verify_detached from a libsodium library."},
    {"verify_many", verify_many, METH_VARARGS,
     "Verify detached Ed25519 signatures; bytes with 1 where a signature holds, else 0."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_sigbatch", NULL, -1, methods};

PyMODINIT_FUNC PyInit__sigbatch(void) { return PyModule_Create(&module); }
