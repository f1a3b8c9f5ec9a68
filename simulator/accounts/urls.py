from starlette.routing import Route

from simulator.accounts import responses

routes = [
    Route("/oauth/v2/token", responses.token, methods=["POST"]),
    Route("/oauth/v2/token/revoke", responses.revoke, methods=["POST"]),
    Route("/oauth/v2/auth", responses.authorize, methods=["GET", "POST"]),
]
