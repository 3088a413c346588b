"""WebAuthn registration and authentication: python-fido2's Fido2Client drives the chip (its
touch comes from the simulator's "accept" presence policy), Fido2Server verifies what it made."""
import os

import pytest
from fido2.attestation import Attestation
from fido2.client import ClientError, Fido2Client
from fido2.server import Fido2Server
from fido2.utils import sha256
from fido2.webauthn import PublicKeyCredentialRpEntity

ORIGIN = "https://example.com"
RP = PublicKeyCredentialRpEntity("example.com", "Example RP")
USER = {"id": b"user-0001", "name": "alice", "displayName": "Alice"}


@pytest.fixture
def chip(request):
    """A chip without a PIN: reset through the control API when it is there."""
    if os.environ.get("SEGL_CONTROL_URL"):
        dev, _ = request.getfixturevalue("fresh_chip")
        return dev
    dev = request.getfixturevalue("device")
    client = Fido2Client(dev, ORIGIN)
    if client.info.options.get("clientPin"):
        pytest.skip("the chip has a PIN set; run with SEGL_CONTROL_URL so the suite can reset it")
    return dev


def register(client, server, resident_key=False, user=USER, credentials=None):
    options, state = server.register_begin(user, credentials, resident_key=resident_key, user_verification="discouraged")
    response = client.make_credential(options["publicKey"])
    auth_data = server.register_complete(state, response.client_data, response.attestation_object)
    return response, auth_data


def test_register_and_authenticate(chip):
    client = Fido2Client(chip, ORIGIN)
    server = Fido2Server(RP)

    response, auth_data = register(client, server)
    assert auth_data.is_user_present()
    assert not auth_data.is_user_verified()
    assert auth_data.rp_id_hash == sha256(b"example.com")
    cred = auth_data.credential_data
    assert cred.aaguid == client.info.aaguid
    assert len(cred.credential_id) > 0

    # The attestation statement, checked by python-fido2's own verifier for its format.
    att = response.attestation_object
    assert att.fmt in ("packed", "fido-u2f", "none")
    if att.fmt != "none":
        result = Attestation.for_type(att.fmt)().verify(att.att_statement, att.auth_data, response.client_data.hash)
        assert result is not None

    counters = []
    for _ in range(2):
        options, state = server.authenticate_begin([cred], user_verification="discouraged")
        selection = client.get_assertion(options["publicKey"])
        assertion = selection.get_response(0)
        assert assertion.credential_id == cred.credential_id
        server.authenticate_complete(
            state, [cred], assertion.credential_id, assertion.client_data, assertion.authenticator_data, assertion.signature
        )
        assert assertion.authenticator_data.is_user_present()
        counters.append(assertion.authenticator_data.counter)
    assert counters[1] > counters[0], "the signature counter grows"


def test_tampered_assertion_is_refused_by_the_server(chip):
    client = Fido2Client(chip, ORIGIN)
    server = Fido2Server(RP)
    _, auth_data = register(client, server)
    cred = auth_data.credential_data
    options, state = server.authenticate_begin([cred], user_verification="discouraged")
    a = client.get_assertion(options["publicKey"]).get_response(0)
    sig = bytearray(a.signature)
    sig[-1] ^= 1
    with pytest.raises(ValueError):
        server.authenticate_complete(state, [cred], a.credential_id, a.client_data, a.authenticator_data, bytes(sig))


def test_exclude_list_refuses_a_second_registration(chip):
    client = Fido2Client(chip, ORIGIN)
    server = Fido2Server(RP)
    _, auth_data = register(client, server)
    with pytest.raises(ClientError) as e:
        register(client, server, credentials=[auth_data.credential_data])
    assert e.value.code == ClientError.ERR.DEVICE_INELIGIBLE


def test_resident_key_is_discoverable(chip):
    client = Fido2Client(chip, ORIGIN)
    server = Fido2Server(RP)
    _, auth_data = register(client, server, resident_key=True)
    cred = auth_data.credential_data
    # No allow list: the chip finds the credential itself and returns the user handle.
    options, state = server.authenticate_begin(None, user_verification="discouraged")
    selection = client.get_assertion(options["publicKey"])
    responses = selection.get_assertions()
    assert len(responses) == 1
    a = selection.get_response(0)
    assert a.credential_id == cred.credential_id
    assert a.user_handle == USER["id"]
    server.authenticate_complete(state, [cred], a.credential_id, a.client_data, a.authenticator_data, a.signature)


def test_other_rp_is_not_discoverable(chip):
    client = Fido2Client(chip, ORIGIN)
    register(client, Fido2Server(RP), resident_key=True)
    other = Fido2Client(chip, "https://other.example.org")
    server = Fido2Server(PublicKeyCredentialRpEntity("other.example.org", "Other"))
    options, _ = server.authenticate_begin(None, user_verification="discouraged")
    with pytest.raises(ClientError) as e:
        other.get_assertion(options["publicKey"])
    assert e.value.code == ClientError.ERR.DEVICE_INELIGIBLE
