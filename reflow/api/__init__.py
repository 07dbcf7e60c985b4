"""The GraphQL API (vf-graphql names) and the node's HTTP endpoints.

``app.create_app(node)`` builds the ASGI app; ``schema/`` holds the SDL, one file per VF module;
``read_resolvers``/``flow_resolvers``/``write_resolvers`` are thin calls into the projections and
``node.submit``; ``loaders`` batches nested reads per request; ``writer`` group-commits mutations;
``auth`` checks signed requests; ``limits`` and ``error_shape`` keep every answer safe and alike.
"""
