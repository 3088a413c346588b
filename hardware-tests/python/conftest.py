"""Fixtures for the python-fido2 suite against a simulated Segl chip over UDP.

Environment (set by hardware-tests/test/python-fido2.test.ts; defaults fit `segl sim chip`):
  SEGL_UDP_HOST, SEGL_UDP_PORT, SEGL_UDP_REPLY_PORT   the UDP bridge (127.0.0.1, 8111, 7112)
  SEGL_CONTROL_URL   the simulator's HTTP control API (optional): lets tests power-cycle the
                     chip for authenticatorReset (allowed only within 10 s of power-up)
  SEGL_DEVICE_NAME   the chip's name in the control API (default "chip")
The chip must press its own button (presence policy "accept").
"""
import json
import os
import sys
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from fido2.ctap2 import Ctap2  # noqa: E402

from segl_udp import open_udp_device  # noqa: E402


def _control(path, body):
    url = os.environ.get("SEGL_CONTROL_URL")
    if not url:
        return None
    req = urllib.request.Request(
        url + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=5) as r:
        return json.loads(r.read())


@pytest.fixture
def device():
    dev = open_udp_device()
    try:
        yield dev
    finally:
        dev.close()


@pytest.fixture
def ctap2(device):
    return Ctap2(device)


@pytest.fixture
def fresh_chip():
    """A chip with no credentials and no PIN: power-cycle through the control API, then reset."""
    name = os.environ.get("SEGL_DEVICE_NAME", "chip")
    if _control("/devices/%s/power" % name, {"action": "reboot"}) is None:
        pytest.skip("needs SEGL_CONTROL_URL (the simulator's control API) to power-cycle the chip before reset")
    dev = open_udp_device()
    try:
        ctap = Ctap2(dev)
        ctap.reset()  # the simulator's presence policy touches the chip
        yield dev, Ctap2(dev)
    finally:
        dev.close()
