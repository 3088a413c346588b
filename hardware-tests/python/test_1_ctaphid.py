"""CTAPHID through python-fido2's own framing (CtapHidDevice) over the UDP bridge."""
import os

import pytest
from fido2.ctap import CtapError
from fido2.hid import CAPABILITY

VENDOR_SERVICE = 0x51


def test_init_reports_ctaphid_v2_and_capabilities(device):
    assert device.version == 2
    assert CAPABILITY.WINK.supported(device.capabilities)
    assert CAPABILITY.CBOR.supported(device.capabilities)
    assert not CAPABILITY.NMSG.supported(device.capabilities), "U2F over CTAPHID_MSG is offered"


@pytest.mark.parametrize("size", [0, 1, 57, 58, 1000, 7609])
def test_ping_echoes(device, size):
    msg = bytes((i * 7 + size) & 0xFF for i in range(size))
    assert device.ping(msg) == msg


def test_wink_and_lock(device):
    device.wink()
    device.lock(1)
    assert device.ping(b"locked to us") == b"locked to us"
    device.lock(0)


def test_unknown_command_is_an_error(device):
    with pytest.raises(CtapError) as e:
        device.call(0x22)
    assert e.value.code == CtapError.ERR.INVALID_COMMAND


def test_vendor_service_info_says_chip(device):
    r = device.call(VENDOR_SERVICE, b"\x01")
    assert r[0] == 0, "status OK"
    assert r[5] == 3, "model 3: chip"
    assert r[6] in (1, 2), "provisioned or locked"
    serial = r[13 : 13 + r[12]].decode()
    want = os.environ.get("SEGL_CHIP_SERIAL")
    if want:
        assert serial == want
