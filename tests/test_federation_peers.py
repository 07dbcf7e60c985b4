"""Peers and the signed handshake: who a node replicates with, and how peers prove who they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from federation_support import Cluster, call

from reflow.errors import RuleViolation, SignatureError
from reflow.federation.http import federation_app
from reflow.federation.peers import PeerBook, check_hello, make_hello
from reflow.ledger.keys import KeyPair


def test_peer_list_is_persisted_in_the_data_dir_and_adding_twice_keeps_one(tmp_path: Path) -> None:
    book = PeerBook(tmp_path)
    book.add("http://127.0.0.1:8002/")
    book.add("http://127.0.0.1:8002")
    assert [p.url for p in PeerBook(tmp_path).list()] == ["http://127.0.0.1:8002"]
    assert json.loads((tmp_path / "peers.json").read_text())["peers"][0]["source"] == "manual"


def test_a_peer_url_must_be_http(tmp_path: Path) -> None:
    with pytest.raises(RuleViolation) as err:
        PeerBook(tmp_path).add("ftp://example")
    assert err.value.field == "url"


def test_a_pinned_node_key_cannot_change(tmp_path: Path) -> None:
    book = PeerBook(tmp_path)
    book.add("http://127.0.0.1:8002")
    book.pin("http://127.0.0.1:8002", "key-one")
    with pytest.raises(SignatureError) as err:
        book.pin("http://127.0.0.1:8002", "key-two")
    assert err.value.rule == "pin"


def test_a_hello_verifies_for_the_same_network_only() -> None:
    key = KeyPair.generate()
    hello = make_hello(key, "net-1")
    assert check_hello(hello, "net-1")["node_key"] == key.public
    with pytest.raises(RuleViolation) as err:
        check_hello(hello, "net-2")
    assert err.value.rule == "same-network"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ts": 1}, "sig"),
        ({"nonce": "other"}, "sig"),
        ({"node_key": KeyPair.generate().public}, "sig"),
    ],
)
def test_an_altered_hello_is_refused(change: dict[str, object], field: str) -> None:
    hello = {**make_hello(KeyPair.generate(), "net-1"), **change}
    with pytest.raises(SignatureError) as err:
        check_hello(hello, "net-1")
    assert err.value.field == field


def test_a_stale_hello_is_refused_even_with_a_good_signature() -> None:
    hello = make_hello(KeyPair.generate(), "net-1")
    with pytest.raises(SignatureError) as err:
        check_hello(hello, "net-1", now=hello["ts"] + 600)
    assert (err.value.field, err.value.rule) == ("ts", "fresh")


def test_the_answer_must_echo_our_nonce() -> None:
    answer = make_hello(KeyPair.generate(), "net-1", nonce="theirs")
    with pytest.raises(SignatureError) as err:
        check_hello(answer, "net-1", nonce="ours")
    assert err.value.field == "nonce"


def test_the_server_answers_a_hello_once_and_learns_the_callers_url(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a"])
    node = cluster.nodes["a"]
    app = federation_app(node, sync=False)
    caller = KeyPair.generate()
    hello = make_hello(caller, node.info.network, url="http://127.0.0.1:9009")
    resp = call(app, "POST", "/fed/hello", json=hello)
    assert resp.status_code == 200
    answer = check_hello(resp.json(), node.info.network, nonce=hello["nonce"])
    assert answer["node_key"] == node.info.node_key
    assert PeerBook(node.settings.data_dir).get("http://127.0.0.1:9009").node_key == caller.public
    replay = call(app, "POST", "/fed/hello", json=hello)
    assert (replay.status_code, replay.json()["error"]["field"]) == (403, "nonce")
    stranger = make_hello(caller, "another-network")
    assert call(app, "POST", "/fed/hello", json=stranger).json()["error"]["rule"] == "same-network"
    cluster.close()


def test_nodes_greet_each_other_before_replicating_and_pin_keys(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a", "b"])
    cluster.sync("a", "b")
    st = cluster.services["a"].state("http://b")
    assert st.greeted and st.node_key == cluster.nodes["b"].info.node_key
    assert cluster.services["a"].book.get("http://b").node_key == st.node_key
    cluster.close()


def test_a_node_of_another_network_is_cut_off_at_the_handshake(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a"])
    other = Cluster(tmp_path / "x", ["z"], network="another-net")
    cluster.mesh.apps["z"] = other.mesh.apps["z"]
    cluster.services["a"].book.add("http://z")
    assert cluster.sync("a", "z") == [None]
    st = cluster.services["a"].state("http://z")
    assert st.reason.startswith("cut off") and "HTTP 403" in st.reason
    assert st.retry_at > 0
    cluster.close()
    other.close()


def test_heads_and_records_are_served_as_bounded_json_lines(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a"])
    node = cluster.nodes["a"]
    key = node.new_agent("Person", {"name": "Anna"})
    for i in range(5):
        node.submit(key, "vf.create", {"type": "SpatialThing", "data": {"name": f"p{i}"}})
    app = federation_app(node, sync=False)
    heads = call(app, "GET", "/fed/heads").json()["heads"]
    assert heads[key.public]["seq"] == 6
    lines = call(app, "GET", f"/fed/records?author={key.public}&after=2&limit=3").text.splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [3, 4, 5]
    assert call(app, "GET", "/fed/records?author=x&after=-1").status_code == 400
    cluster.close()


def test_the_log_sends_only_what_the_asker_lacks_and_where_it_stopped(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, ["a"])
    node = cluster.nodes["a"]
    anna = node.new_agent("Person", {"name": "Anna"})
    bob = node.new_agent("Person", {"name": "Bob"})
    for i in range(3):
        node.submit(anna, "vf.create", {"type": "SpatialThing", "data": {"name": f"a{i}"}})
        node.submit(bob, "vf.create", {"type": "SpatialThing", "data": {"name": f"b{i}"}})
    app = federation_app(node, sync=False)
    have = {"heads": {anna.public: 4, bob.public: 2}}  # anna complete, bob lacks seq 3 and 4
    body = call(app, "POST", "/fed/log?after=0&limit=100", json=have).text.splitlines()
    records = [json.loads(x.split(" ", 1)[1]) for x in body[:-1]]
    assert [(r["author"], r["seq"]) for r in records] == [(bob.public, 3), (bob.public, 4)]
    assert body[-1] == "8 end"
    first = call(app, "POST", "/fed/log?after=0&limit=1", json=have).text.splitlines()
    assert len(first) == 2 and first[-1] == first[0].split(" ")[0] + " end"
    cluster.close()
