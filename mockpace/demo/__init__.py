"""The demo page at ``/``: one static HTML file that uses the public 7pace APIs and the admin
plane, as any client would."""
