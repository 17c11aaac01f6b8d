"""Server-side operations shared by the /v2 routers and the controllers."""
