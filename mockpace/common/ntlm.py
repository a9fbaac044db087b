"""On-prem Windows authentication: the NTLM challenge-response handshake, bare
(``Authorization: NTLM ...``) or wrapped in SPNEGO (``Authorization: Negotiate ...``), as
docs/emulation.md section 2 describes it.

The message formats (NTLM negotiate/challenge/authenticate, SPNEGO NegTokenInit/NegTokenResp)
and the NTLM hash functions are pyspnego's. Its ready-made acceptor is not used: it looks
passwords up in one process-wide credential file (``NTLM_USER_FILE``) by exact domain and user
name, where mockpace matches a Windows name to a seeded user loosely, checks the password
against that user's API tokens per organization, and accepts any password with
``onprem_auth=trust``. So mockpace checks the NTLMv2 proof itself:
``NTProofStr = HMAC_MD5(NTOWFv2(token, user, domain), server challenge || client blob)``.

NTLM authenticates a connection: the type 1 message, the server's type 2 challenge and the type
3 answer travel on one keep-alive connection. An ASGI application does not see connections, so
the server challenge is kept per (organization, server address, client address and port): the
client's ephemeral port identifies the connection while it is open. Entries are bounded in
number and expire after two minutes; a type 3 message takes its challenge (one use). A completed
handshake authenticates that request only: the next request without credentials is challenged
again, which stock clients answer with a new handshake on the same connection.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from spnego._context import GSSMech
from spnego._ntlm_raw.crypto import hmac_md5, ntowfv1, ntowfv2
from spnego._ntlm_raw.messages import (
    Authenticate as AuthenticateMessage,
)
from spnego._ntlm_raw.messages import (
    AvId,
    Challenge,
    FileTime,
    Negotiate,
    NegotiateFlags,
    TargetInfo,
)
from spnego._spnego import NegState, NegTokenInit, NegTokenResp, unpack_token

SCHEMES = ("ntlm", "negotiate")
TARGET_NAME = "MOCKPACE"
CHALLENGE_TTL = 120.0  # seconds of real time between the type 2 and the type 3 message
MAX_PENDING = 4096
MAX_TOKEN = 16_384  # bytes of a decoded NTLM/SPNEGO token


class NtlmError(ValueError):
    """The credential is not a usable NTLM or SPNEGO/NTLM message (the text says why)."""


@dataclass(frozen=True)
class Authenticate:
    """A type 3 message: who the client says it is, and what proves it."""

    user: str
    domain: str
    nt_response: bytes
    server_challenge: bytes | None  # None: no challenge of this connection was pending

    @property
    def anonymous(self) -> bool:
        return not self.user

    def proven_by(self, passwords: Iterable[str]) -> str | None:
        """The one of ``passwords`` the NTLMv2 response was computed with, if any (NTLMv1 and
        LM responses are refused, as current Windows servers refuse them)."""
        if self.server_challenge is None or len(self.nt_response) <= 24:
            return None
        proof, blob = self.nt_response[:16], self.nt_response[16:]
        for password in passwords:
            key = ntowfv2(self.user, ntowfv1(password), self.domain)
            if hmac.compare_digest(hmac_md5(key, self.server_challenge + blob), proof):
                return password
        return None


@dataclass(frozen=True)
class ChallengeReply:
    """The answer to a type 1 message: the ``WWW-Authenticate`` value of the 401."""

    header: str


class PendingChallenges:
    """Server challenges waiting for their type 3 message, per connection key."""

    def __init__(self, size: int = MAX_PENDING, ttl: float = CHALLENGE_TTL) -> None:
        self._entries: OrderedDict[Hashable, tuple[bytes, float]] = OrderedDict()
        self._size = size
        self._ttl = ttl
        self._lock = threading.Lock()

    def put(self, key: Hashable, challenge: bytes) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (challenge, time.monotonic() + self._ttl)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def take(self, key: Hashable) -> bytes | None:
        with self._lock:
            found = self._entries.pop(key, None)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]


PENDING = PendingChallenges()


_SELECT_NTLM = NegTokenResp(neg_state=NegState.accept_incomplete,
                           supported_mech=GSSMech.ntlm.value).pack()


def _unwrap(scheme: str, credential: str) -> tuple[bytes | None, bool]:
    """(NTLM message, whether it came wrapped in SPNEGO). The message is None when a SPNEGO
    client offers NTLM but opened with another mechanism's token (Kerberos first): the answer
    then selects NTLM, and the client sends its NTLM negotiate message next."""
    try:
        raw = base64.b64decode(credential.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise NtlmError(f"the {scheme} credential is not base64") from None
    if not raw or len(raw) > MAX_TOKEN:
        raise NtlmError(f"the {scheme} credential is empty or longer than {MAX_TOKEN} bytes")
    if raw.startswith(b"NTLMSSP\x00"):
        return raw, False  # bare NTLM, also under "Negotiate" (requests_ntlm sends it so)
    try:
        token = unpack_token(raw)
    except Exception:  # pyspnego raises several types on malformed ASN.1
        raise NtlmError(f"the {scheme} credential is neither NTLM nor SPNEGO") from None
    if isinstance(token, NegTokenInit):
        if GSSMech.ntlm.value not in token.mech_types:
            raise NtlmError("the SPNEGO token offers no NTLM mechanism (Kerberos is not "
                            "supported by mockpace: offer NTLM)")
        inner = token.mech_token
        if not (inner and inner.startswith(b"NTLMSSP\x00")):
            return None, True
    elif isinstance(token, NegTokenResp):
        inner = token.response_token
    else:
        inner = None
    if not inner or not inner.startswith(b"NTLMSSP\x00"):
        raise NtlmError("the SPNEGO token carries no NTLM message")
    return inner, True


def _challenge(negotiate: Negotiate, server_challenge: bytes) -> bytes:
    """The type 2 message answering ``negotiate`` (flags as a Windows server sets them)."""
    flags = (negotiate.flags | NegotiateFlags.request_target | NegotiateFlags.ntlm
             | NegotiateFlags.always_sign | NegotiateFlags.target_info
             | NegotiateFlags.target_type_server)
    if flags & NegotiateFlags.unicode:
        flags &= ~NegotiateFlags.oem
    elif not flags & NegotiateFlags.oem:
        raise NtlmError("the NTLM negotiate message sets neither UNICODE nor OEM")
    if flags & NegotiateFlags.extended_session_security:
        flags &= ~NegotiateFlags.lm_key
    info = TargetInfo()
    info[AvId.nb_computer_name] = TARGET_NAME
    info[AvId.nb_domain_name] = TARGET_NAME
    info[AvId.dns_computer_name] = "localhost"
    info[AvId.timestamp] = FileTime.now()
    return Challenge(flags, server_challenge, target_name=TARGET_NAME,
                     target_info=info).pack()


def accept(scheme: str, credential: str, connection: Hashable) -> ChallengeReply | Authenticate:
    """One step of the handshake: a type 1 message gets a challenge (remembered for
    ``connection``), a type 3 message is parsed with the challenge it answers."""
    message, wrapped = _unwrap(scheme, credential)
    if message is None:
        return ChallengeReply(f"Negotiate {base64.b64encode(_SELECT_NTLM).decode()}")
    kind = int.from_bytes(message[8:12], "little") if len(message) >= 12 else 0
    try:
        if kind == 1:
            server_challenge = os.urandom(8)
            reply = _challenge(Negotiate.unpack(message), server_challenge)
            PENDING.put(connection, server_challenge)
            if wrapped:
                reply = NegTokenResp(neg_state=NegState.accept_incomplete,
                                     supported_mech=GSSMech.ntlm.value,
                                     response_token=reply).pack()
            return ChallengeReply(f"{scheme_name(scheme)} {base64.b64encode(reply).decode()}")
        if kind == 3:
            auth = AuthenticateMessage.unpack(message)
            return Authenticate(user=auth.user_name or "", domain=auth.domain_name or "",
                                nt_response=auth.nt_challenge_response or b"",
                                server_challenge=PENDING.take(connection))
    except NtlmError:
        raise
    except Exception:  # a truncated or inconsistent message: pyspnego raises various types
        raise NtlmError(f"the NTLM type {kind} message is malformed") from None
    raise NtlmError(f"expected an NTLM negotiate (type 1) or authenticate (type 3) message, "
                    f"got type {kind}")


def scheme_name(scheme: str) -> str:
    return "NTLM" if scheme.lower() == "ntlm" else "Negotiate"
