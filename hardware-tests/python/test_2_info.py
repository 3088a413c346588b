"""authenticatorGetInfo as python-fido2 parses it."""
import uuid

from fido2.ctap2 import Info


def test_get_info(ctap2):
    info = ctap2.get_info()
    assert isinstance(info, Info)
    assert "FIDO_2_0" in info.versions
    assert "FIDO_2_1" in info.versions
    assert "U2F_V2" in info.versions
    assert len(info.aaguid) == 16
    assert uuid.UUID(bytes=bytes(info.aaguid)).int != 0, "a real AAGUID, not zeros"
    assert info.options.get("rk") is True
    assert info.options.get("up") is True
    assert "clientPin" in info.options
    assert info.options.get("credMgmt") is True
    assert "uv" not in info.options or info.options["uv"] is False, "the chip has no built-in UV"
    assert 1 in info.pin_uv_protocols
    assert info.max_msg_size >= 1024
    assert {"alg": -7, "type": "public-key"} in info.algorithms
    assert info.transports == ["usb"]
