"""clientPIN: set and change the PIN with PIN/UV auth protocols 1 and 2, then use it."""
import pytest
from fido2.client import Fido2Client
from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin, Ctap2
from fido2.ctap2.pin import PinProtocolV1, PinProtocolV2
from fido2.server import Fido2Server
from fido2.webauthn import PublicKeyCredentialRpEntity

ORIGIN = "https://example.com"
RP = PublicKeyCredentialRpEntity("example.com", "Example RP")


@pytest.mark.parametrize("protocol", [PinProtocolV1, PinProtocolV2], ids=["v1", "v2"])
def test_set_and_change_pin(fresh_chip, protocol):
    dev, ctap = fresh_chip
    assert protocol.VERSION in ctap.info.pin_uv_protocols
    assert ctap.info.options.get("clientPin") is False, "no PIN after reset"
    pin = ClientPin(ctap, protocol())
    pin.set_pin("1234")
    assert Ctap2(dev).get_info().options["clientPin"] is True
    retries, _ = pin.get_pin_retries()
    assert retries == 8

    with pytest.raises(CtapError) as e:
        pin.set_pin("5678")
    assert e.value.code == CtapError.ERR.NOT_ALLOWED, "set PIN works only once"

    with pytest.raises(CtapError) as e:
        pin.get_pin_token("9999", ClientPin.PERMISSION.GET_ASSERTION, "example.com")
    assert e.value.code == CtapError.ERR.PIN_INVALID
    assert pin.get_pin_retries()[0] == 7

    # CTAP 2.1: getPinUvAuthTokenUsingPinWithPermissions without permissions is refused.
    with pytest.raises(CtapError) as e:
        pin.get_pin_token("1234")
    assert e.value.code == CtapError.ERR.MISSING_PARAMETER
    token = pin.get_pin_token("1234", ClientPin.PERMISSION.GET_ASSERTION, "example.com")
    assert len(token) in (16, 32)
    assert pin.get_pin_retries()[0] == 8, "a right PIN restores the retries"

    pin.change_pin("1234", "24680")
    with pytest.raises(CtapError) as e:
        pin.get_pin_token("1234", ClientPin.PERMISSION.GET_ASSERTION, "example.com")
    assert e.value.code == CtapError.ERR.PIN_INVALID
    pin.get_pin_token("24680", ClientPin.PERMISSION.MAKE_CREDENTIAL, "example.com")

    with pytest.raises(CtapError) as e:
        pin.change_pin("1111", "13579")
    assert e.value.code == CtapError.ERR.PIN_INVALID


def test_registration_with_a_pin_is_user_verified(fresh_chip):
    dev, ctap = fresh_chip
    ClientPin(ctap).set_pin("4321")
    client = Fido2Client(dev, ORIGIN)
    server = Fido2Server(RP)
    user = {"id": b"user-pin", "name": "bob", "displayName": "Bob"}
    options, state = server.register_begin(user, user_verification="required")
    response = client.make_credential(options["publicKey"], pin="4321")
    auth_data = server.register_complete(state, response.client_data, response.attestation_object)
    assert auth_data.is_user_verified() and auth_data.is_user_present()
    cred = auth_data.credential_data
    options, state = server.authenticate_begin([cred], user_verification="required")
    a = client.get_assertion(options["publicKey"], pin="4321").get_response(0)
    server.authenticate_complete(state, [cred], a.credential_id, a.client_data, a.authenticator_data, a.signature)
    assert a.authenticator_data.is_user_verified()
