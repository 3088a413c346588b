"""CTAP1/U2F over CTAPHID_MSG: the chip answers 0x6985 until touched; the host polls (the
simulator's "accept" policy touches it on the first 0x6985)."""
import time

import pytest
from fido2.ctap1 import APDU, ApduError, Ctap1
from fido2.utils import sha256


def poll(fn, seconds=5.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except ApduError as e:
            if e.code != APDU.USE_NOT_SATISFIED or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def ctap1(device):
    c = Ctap1(device)
    try:
        c.get_version()
    except ApduError as e:
        if e.code == 0x6D00:  # INS not supported
            pytest.skip("this firmware image does not implement U2F yet (VERSION answers 0x6D00)")
        raise
    return c


def test_version(ctap1):
    assert ctap1.get_version() == "U2F_V2"


def test_register_and_authenticate(ctap1):
    app = sha256(b"https://example.com")
    chal = sha256(b"register challenge")
    reg = poll(lambda: ctap1.register(chal, app))
    reg.verify(app, chal)  # the attestation signature, by python-fido2
    assert len(reg.public_key) == 65 and reg.public_key[0] == 4

    # check-only: a known key handle answers 0x6985 without a touch
    with pytest.raises(ApduError) as e:
        ctap1.authenticate(chal, app, reg.key_handle, check_only=True)
    assert e.value.code == APDU.USE_NOT_SATISFIED
    # someone else's key handle: 0x6A80
    with pytest.raises(ApduError) as e:
        ctap1.authenticate(chal, sha256(b"https://other.example"), reg.key_handle, check_only=True)
    assert e.value.code == APDU.WRONG_DATA

    counters = []
    for i in range(2):
        c = sha256(b"sign %d" % i)
        sig = poll(lambda: ctap1.authenticate(c, app, reg.key_handle))
        sig.verify(app, c, reg.public_key)
        assert sig.user_presence & 1
        counters.append(sig.counter)
    assert counters[1] > counters[0]
