"""Closing a window as a window manager does: a WM_DELETE_WINDOW message, through libX11.

Xvfb runs no window manager and no xdotool is installed, so this speaks Xlib through ctypes:
find the top-level window by its title, then send it the ICCCM WM_PROTOCOLS client message a
window manager sends when the user clicks the close button.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterator
from contextlib import contextmanager

CLIENT_MESSAGE = 33  # X.h ClientMessage
NO_EVENT_MASK = 0


class _ClientMessage(ctypes.Structure):
    """XClientMessageEvent (Xlib.h), with its data as five longs."""

    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]


class _XEvent(ctypes.Union):
    """The XEvent union: 24 longs, of which we use the client message."""

    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def _xlib() -> ctypes.CDLL:
    name = ctypes.util.find_library("X11")
    if name is None:
        raise AssertionError("libX11 is not installed; it is needed to close the window")
    lib = ctypes.CDLL(name)
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XDefaultRootWindow.restype = ctypes.c_ulong
    lib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    lib.XInternAtom.restype = ctypes.c_ulong
    lib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                               ctypes.POINTER(ctypes.c_ulong),
                               ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
                               ctypes.POINTER(ctypes.c_uint)]
    lib.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                               ctypes.POINTER(ctypes.c_char_p)]
    lib.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                               ctypes.POINTER(_XEvent)]
    lib.XFree.argtypes = [ctypes.c_void_p]
    lib.XFlush.argtypes = [ctypes.c_void_p]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return lib


@contextmanager
def _open(display: str, xauthority: str | None) -> Iterator[tuple[ctypes.CDLL, int]]:
    lib = _xlib()
    old = os.environ.get("XAUTHORITY")
    if xauthority:
        os.environ["XAUTHORITY"] = xauthority  # read by XOpenDisplay
    try:
        dpy = lib.XOpenDisplay(display.encode())
        if not dpy:
            raise AssertionError(f"cannot open X display {display}")
        try:
            yield lib, dpy
        finally:
            lib.XCloseDisplay(dpy)
    finally:
        if old is None:
            os.environ.pop("XAUTHORITY", None)
        else:
            os.environ["XAUTHORITY"] = old


def _children(lib: ctypes.CDLL, dpy: int, window: int) -> list[int]:
    root, parent = ctypes.c_ulong(), ctypes.c_ulong()
    children = ctypes.POINTER(ctypes.c_ulong)()
    count = ctypes.c_uint()
    if not lib.XQueryTree(dpy, window, ctypes.byref(root), ctypes.byref(parent),
                          ctypes.byref(children), ctypes.byref(count)):
        return []
    found = [children[i] for i in range(count.value)]
    if children:
        lib.XFree(children)
    return found


def _name(lib: ctypes.CDLL, dpy: int, window: int) -> str | None:
    name = ctypes.c_char_p()
    if not lib.XFetchName(dpy, window, ctypes.byref(name)) or not name.value:
        return None
    text = name.value.decode("latin-1")
    lib.XFree(name)
    return text


def _find(lib: ctypes.CDLL, dpy: int, title: str) -> int:
    queue = [lib.XDefaultRootWindow(dpy)]
    while queue:
        window = queue.pop(0)
        if _name(lib, dpy, window) == title:
            return window
        queue.extend(_children(lib, dpy, window))
    raise AssertionError(f"no X window titled {title!r}")


def close_window(display: str, xauthority: str | None, title: str) -> None:
    """Ask the window titled `title` to close, as a window manager's close button does."""
    with _open(display, xauthority) as (lib, dpy):
        window = _find(lib, dpy, title)
        event = _XEvent()
        event.xclient.type = CLIENT_MESSAGE
        event.xclient.window = window
        event.xclient.message_type = lib.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data[0] = lib.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        event.xclient.data[1] = 0  # CurrentTime
        if not lib.XSendEvent(dpy, window, 0, NO_EVENT_MASK, ctypes.byref(event)):
            raise AssertionError(f"XSendEvent to window {window:#x} failed")
        lib.XFlush(dpy)
