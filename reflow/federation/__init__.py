"""The p2p network: peers, replication, equivocation evidence and federated search.

peers.py         peers.json and the signed handshake
queries.py       what a node serves (heads, chain segments, log, evidence, search) — bounded
http.py          the /fed routes (federation_routes) and a standalone app (federation_app)
client.py        talking to one peer, trusting nothing (size, count and time caps)
inbox.py         judging replicated records through Ledger.append_many; holding early ones
sync.py          one replication round with a peer (log, heads, chains, evidence)
service.py       the running loop: handshakes, pulls, live streams, backoff and cut-offs
equivocation.py  the policy that holds an equivocating author's later records
deps.py          the deps a locally signed record carries (used by Node.sign)
search.py        federated search across peers
runner.py        the ASGI app of a replicating node (with the API when present); entry point
demo.py, bench.py
"""
