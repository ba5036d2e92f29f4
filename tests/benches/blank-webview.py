#!/usr/bin/env python3
"""A bare WebKitGTK window showing one paragraph, as the app's window is sized:
the app benchmark measures its idle memory as the floor any WebKitGTK app pays.
Prints "loaded" when the page has loaded."""

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402


def on_load(view, event):
    if event == WebKit2.LoadEvent.FINISHED:
        print("loaded", flush=True)


window = Gtk.Window()
window.set_default_size(1280, 800)
view = WebKit2.WebView()
view.connect("load-changed", on_load)
view.load_html("<p>一鱼多吃 hello</p>", None)
window.add(view)
window.connect("destroy", Gtk.main_quit)
window.show_all()
Gtk.main()
