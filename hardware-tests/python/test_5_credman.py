"""authenticatorCredentialManagement: list and delete resident credentials."""
from fido2.client import Fido2Client
from fido2.ctap2 import ClientPin, Ctap2
from fido2.ctap2.credman import CredentialManagement
from fido2.server import Fido2Server
from fido2.utils import sha256
from fido2.webauthn import PublicKeyCredentialRpEntity

PIN = "314159"


def make_rk(dev, rp_id, user_id, name):
    client = Fido2Client(dev, "https://" + rp_id)
    server = Fido2Server(PublicKeyCredentialRpEntity(rp_id, rp_id))
    user = {"id": user_id, "name": name, "displayName": name.title()}
    options, state = server.register_begin(user, resident_key=True, user_verification="discouraged")
    response = client.make_credential(options["publicKey"], pin=PIN)
    return server.register_complete(state, response.client_data, response.attestation_object).credential_data


def credman(dev):
    ctap = Ctap2(dev)
    pin = ClientPin(ctap)
    token = pin.get_pin_token(PIN, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    return CredentialManagement(ctap, pin.protocol, token)


def test_list_and_delete_resident_keys(fresh_chip):
    dev, ctap = fresh_chip
    ClientPin(ctap).set_pin(PIN)
    a = make_rk(dev, "example.com", b"u-a", "alice")
    b = make_rk(dev, "example.com", b"u-b", "bob")
    c = make_rk(dev, "example.org", b"u-c", "carol")

    cm = credman(dev)
    meta = cm.get_metadata()
    assert meta[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 3
    assert meta[CredentialManagement.RESULT.MAX_REMAINING_COUNT] >= 1

    rps = cm.enumerate_rps()
    ids = sorted(r[CredentialManagement.RESULT.RP]["id"] for r in rps)
    assert ids == ["example.com", "example.org"]
    for r in rps:
        assert r[CredentialManagement.RESULT.RP_ID_HASH] == sha256(r[CredentialManagement.RESULT.RP]["id"].encode())

    creds = cm.enumerate_creds(sha256(b"example.com"))
    found = {bytes(x[CredentialManagement.RESULT.CREDENTIAL_ID]["id"]): x for x in creds}
    assert set(found) == {a.credential_id, b.credential_id}
    assert found[a.credential_id][CredentialManagement.RESULT.USER]["id"] == b"u-a"

    cm.delete_cred({"type": "public-key", "id": b.credential_id})
    cm = credman(dev)
    left = cm.enumerate_creds(sha256(b"example.com"))
    assert [bytes(x[CredentialManagement.RESULT.CREDENTIAL_ID]["id"]) for x in left] == [a.credential_id]
    assert cm.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 2
    assert len(cm.enumerate_creds(sha256(b"example.org"))) == 1
    assert c.credential_id


def test_credential_management_preview_command(fresh_chip):
    """A CTAP 2.1-preview platform: no permissions, getPinToken (0x05) and command 0x41."""
    dev, ctap = fresh_chip
    ClientPin(ctap).set_pin(PIN)
    make_rk(dev, "example.com", b"u-p", "peggy")
    ctap = Ctap2(dev)
    assert ctap.info.options.get("credentialMgmtPreview") is True
    # behave as a preview platform: it knows neither credMgmt nor pinUvAuthToken
    del ctap.info.options["credMgmt"]
    del ctap.info.options["pinUvAuthToken"]
    pin = ClientPin(ctap)
    token = pin.get_pin_token(PIN)
    cm = CredentialManagement(ctap, pin.protocol, token)
    assert cm.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 1
    rps = cm.enumerate_rps()
    assert [r[CredentialManagement.RESULT.RP]["id"] for r in rps] == ["example.com"]
