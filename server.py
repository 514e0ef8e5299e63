"""The web server `make run` starts: the dashboard (app.py) plus its sign-in route.

`streamlit run server.py` finds the `app` below and serves it; the sign-in route
and the middleware that sends signed-out visitors to it live in outreach/ui/signin.py.
"""

import streamlit as st

from outreach.ui.auth import sso_configured
from outreach.ui.signin import middleware, routes

app = st.App("app.py", routes=routes(), middleware=middleware(sso=sso_configured()))
