"""A CTAPHID connection over UDP for python-fido2 (0.9.x), project-owned.

The Segl simulator's UDP bridge receives raw 64-byte HID reports on one port (8111 by default)
and sends every report of the device to another (7112). This connection binds the reply port,
sends to the listen port, and plugs into fido2's CtapHidDevice like a real HID connection.
"""
import os
import select
import socket

from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

REPORT_SIZE = 64
# pid.codes test VID/PID: this is a simulator, not a product.
SIM_VID = 0x1209
SIM_PID = 0x0001


def udp_ports():
    """(host, listen port, reply port) from SEGL_UDP_HOST / SEGL_UDP_PORT / SEGL_UDP_REPLY_PORT."""
    host = os.environ.get("SEGL_UDP_HOST", "127.0.0.1")
    return host, int(os.environ.get("SEGL_UDP_PORT", "8111")), int(os.environ.get("SEGL_UDP_REPLY_PORT", "7112"))


class UdpCtapHidConnection(CtapHidConnection):
    """Sends HID output reports as UDP datagrams; receives input reports the same way."""

    def __init__(self, host, port, reply_port, timeout=5.0):
        self.peer = (host, port)
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, reply_port))
        self._drain()

    def _drain(self):
        # Reports left over from an earlier session would be read as answers to ours.
        while select.select([self.sock], [], [], 0)[0]:
            self.sock.recv(4096)

    def write_packet(self, data):
        if len(data) != REPORT_SIZE:
            raise ValueError("a CTAPHID report is 64 bytes, got %d" % len(data))
        self.sock.sendto(bytes(data), self.peer)

    def read_packet(self):
        # The device sends KEEPALIVE every 100 ms while it waits for a touch, so silence for
        # `timeout` seconds means nobody is there.
        ready = select.select([self.sock], [], [], self.timeout)[0]
        if not ready:
            raise OSError("no answer from the simulated chip at udp://%s:%d within %.1f s" % (self.peer + (self.timeout,)))
        data = self.sock.recv(4096)
        if len(data) != REPORT_SIZE:
            raise OSError("expected a 64-byte report, got %d bytes" % len(data))
        return data

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def open_udp_device(host=None, port=None, reply_port=None, timeout=5.0):
    """A fido2 CtapHidDevice (CTAPHID INIT done) talking to a simulated chip over UDP."""
    h, p, r = udp_ports()
    host = host or h
    port = port or p
    reply_port = reply_port or r
    descriptor = HidDescriptor("udp://%s:%d" % (host, port), SIM_VID, SIM_PID, REPORT_SIZE, REPORT_SIZE)
    connection = UdpCtapHidConnection(host, port, reply_port, timeout)
    try:
        return CtapHidDevice(descriptor, connection)
    except Exception:
        connection.close()
        raise
