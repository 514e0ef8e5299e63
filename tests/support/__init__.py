"""What the tests share: the real services they run against (PostgreSQL, a Bluesky PDS and
network, an X server, feeds and web pages, SMTP, single sign-on), the running app and a
volunteer driving it in Chromium, AppTest page helpers, and store builders. Test modules
import from here, never from each other."""
