"""No traceback from any input: each failure is one line on stderr, with grep's exit statuses.

0 success, 1 findings or no match, 2 a bad command line or an input that could not be read
or decoded.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dhcpwire import Message, MessageType, encode
from dhcpwire.cli import main
from dhcpwire.wire.options import Options

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
DORA = CAPTURES / "arkime_arkime__wireshark-dhcp.pcap"
RENEWAL = CAPTURES / "chrissanders_packets__dhcp_inlease_renewal.pcapng"
DISCOVER = encode(Message(xid=0x3D1D, chaddr=bytes.fromhex("000b8201fc42"),
                          options=Options({53: MessageType.DISCOVER})))
ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err,
                  stdin=None if stdin is None else io.BytesIO(stdin))
    return status, out.getvalue(), err.getvalue()


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("dhcpwire: "), err
    assert "Traceback" not in err and "internal error" not in err
    return err


def udp_frame(payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes(4), b"\xff" * 4)
    return b"\xff" * 6 + b"\x02" * 6 + b"\x08\x00" + ip + udp


def pcap_of(*frames: bytes, snaplen: int = 65535, cut: int | None = None) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 1)
    for frame in frames:
        kept = frame if cut is None else frame[:cut]
        out += struct.pack("<IIII", 1, 0, len(kept), len(frame)) + kept
    return out


# -- files that are not there, not files, empty, or neither capture, hex nor DHCP ----------

def test_a_missing_file_that_is_not_hex_exits_2(tmp_path: Path) -> None:
    status, out, err = run("decode", str(tmp_path / "nothing.pcap"))
    assert status == 2 and out == ""
    assert "no such file, and not hex either" in one_line(err)


def test_a_directory_exits_2(tmp_path: Path) -> None:
    status, _, err = run("decode", str(tmp_path))
    assert status == 2 and one_line(err) == f"dhcpwire: {tmp_path}: is a directory\n"


def test_an_unreadable_file_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.pcap"
    path.write_bytes(DORA.read_bytes())
    path.chmod(0)
    if os.geteuid() == 0:
        # root reads any file: the kernel's refusal is made by hand for this one
        real_open = open

        def refusing_open(file: object, *args: object, **kwargs: object) -> object:
            if os.fspath(file) == str(path):  # type: ignore[call-overload]
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(file, *args, **kwargs)  # type: ignore[call-overload]
        monkeypatch.setattr("builtins.open", refusing_open)
    status, _, err = run("decode", str(path))
    assert status == 2 and "cannot read: Permission denied" in one_line(err)


def test_an_empty_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"")
    status, _, err = run("decode", str(path))
    assert status == 2 and one_line(err) == f"dhcpwire: {path}: empty\n"


def test_etc_passwd_like_text_prints_no_message(tmp_path: Path) -> None:
    path = tmp_path / "passwd"
    path.write_text("root:x:0:0:root:/root:/bin/bash\n" * 20)
    status, out, err = run("decode", str(path))
    assert status == 2 and out == ""
    assert one_line(err) == f"dhcpwire: {path}: not hex: 'r' at line 1, column 1\n"


@pytest.mark.parametrize(("data", "reason"), [
    (bytes(range(256)) * 2, "octet 0 ('op') is 0, not 1 (BOOTREQUEST) or 2 (BOOTREPLY)"),
    (b"\x01\x01\x11" + bytes(297), "octet 2 ('hlen') is 17, more than the 16 octets"),
    (b"\x01\x01\x06" + bytes(100), "103 octets is shorter than the 236-octet BOOTP header"),
    (b"\x01\x01\x06" + b"\x07" * 297, "no DHCP magic cookie at offset 236 and not a BOOTP"),
    (b"\x7fELF\x02\x01\x01" + bytes(400), "octet 0 ('op') is 127"),
])
def test_binary_files_that_are_no_dhcp_message_are_refused_with_the_reason(
        tmp_path: Path, data: bytes, reason: str) -> None:
    path = tmp_path / "blob"
    path.write_bytes(data)
    status, out, err = run("decode", str(path))
    assert status == 2 and out == ""
    assert "not a pcap/pcapng capture, hex text or a DHCP message: " + reason in one_line(err)


def test_a_bootp_payload_without_cookie_passes_header_sanity(tmp_path: Path) -> None:
    path = tmp_path / "bootp.bin"
    path.write_bytes(b"\x01\x01\x06\x00" + bytes(232) + bytes(64))
    status, out, err = run("decode", str(path))
    assert (status, err) == (0, "") and "BOOTP" in out


def test_a_raw_payload_file_decodes(tmp_path: Path) -> None:
    path = tmp_path / "discover.bin"
    path.write_bytes(DISCOVER)
    status, out, err = run("decode", "--summary", str(path))
    assert (status, err) == (0, "") and "DHCPDISCOVER" in out


# -- hex: odd length, not hex, from a file and from stdin ----------------------------------

@pytest.mark.parametrize(("text", "reason"), [
    (DISCOVER.hex()[:-1],
     f"an odd number of hex digits ({len(DISCOVER) * 2 - 1}): one is missing"),
    (DISCOVER.hex()[:10] + "zz" + DISCOVER.hex()[12:], "not hex: 'z' at line 1, column 11"),
    ("0101\n06g0", "not hex: 'g' at line 2, column 3"),
], ids=["odd-length", "not-hex", "not-hex-line-2"])
def test_bad_hex_in_a_file_or_on_stdin_exits_2_with_where(tmp_path: Path, text: str,
                                                          reason: str) -> None:
    path = tmp_path / "message.hex"
    path.write_text(text + "\n")
    status, out, err = run("decode", str(path))
    assert status == 2 and out == "" and one_line(err) == f"dhcpwire: {path}: {reason}\n"
    status, out, err = run("decode", "-", stdin=(text + "\n").encode())
    assert status == 2 and out == "" and one_line(err) == f"dhcpwire: <stdin>: {reason}\n"


def test_hex_on_stdin_and_a_capture_on_stdin_decode() -> None:
    status, out, _ = run("decode", "--summary", "-", stdin=DISCOVER.hex().encode())
    assert status == 0 and "DHCPDISCOVER" in out
    status, out, _ = run("decode", "--summary", "-", stdin=DORA.read_bytes())
    assert status == 0 and len(out.splitlines()) == 4


def test_empty_stdin_exits_2() -> None:
    status, _, err = run("decode", "-", stdin=b"")
    assert status == 2 and one_line(err) == "dhcpwire: <stdin>: empty\n"


# -- damaged captures -----------------------------------------------------------------------

PCAPNG = RENEWAL.read_bytes()


@pytest.mark.parametrize(("data", "text"), [
    (DORA.read_bytes()[:20], "not a readable capture: truncated pcap file header: 20 of 24 "
                             "bytes (file offset 0)"),
    (PCAPNG[:8], "not a readable capture: truncated pcapng section header: 8 of 12 bytes "
                 "(file offset 0)"),
    (DORA.read_bytes()[:24 + 10], "damaged capture after 0 DHCP datagrams: truncated record "
                                  "header: 10 of 16 bytes (file offset 24)"),
    (PCAPNG[:4] + struct.pack("<I", 29) + PCAPNG[8:],
     "damaged capture after 0 DHCP datagrams: block length 29 of block type 0x0a0d0d0a is "
     "not a multiple of 4 (file offset 4)"),
    (PCAPNG[:-1], "damaged capture after 1 DHCP datagrams: block of type 0x00000006 claims"),
])
def test_damaged_captures_exit_2_with_the_file_offset(tmp_path: Path, data: bytes,
                                                      text: str) -> None:
    path = tmp_path / "damaged"
    path.write_bytes(data)
    status, _, err = run("decode", str(path))
    assert status == 2 and text in one_line(err.splitlines(True)[-1])
    status, _, err = run("lint", str(path))
    assert status == 2 and text in err.splitlines()[-1]


def test_a_snaplen_cut_message_is_one_line_with_offsets(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcap"
    path.write_bytes(pcap_of(udp_frame(DISCOVER), snaplen=200, cut=200))
    status, out, err = run("decode", str(path))
    assert status == 2 and out == ""
    assert one_line(err) == (f"dhcpwire: {path}: frame 1: TruncatedHeader: 158 octets is "
                             "shorter than the 236-octet BOOTP header (offset 158, file offset "
                             "240)\n")


def test_a_capture_without_dhcp_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "none.pcap"
    path.write_bytes(pcap_of())
    status, _, err = run("decode", str(path))
    assert status == 1 and one_line(err) == f"dhcpwire: {path}: no DHCP messages found\n"


# -- lenient filters over malformed fields ---------------------------------------------------

def test_lenient_type_filter_over_an_option_53_of_the_wrong_length() -> None:
    bad = encode(Message(xid=7, chaddr=bytes(6), options=Options({}).set_raw(53, b"\x01\x01")))
    for argv in (["--type", "discover"], ["--type", "discover", "--json"],
                 ["--follow", "--summary"], ["--summary"], ["--json", "--summary"], []):
        status, out, err = run("decode", "--lenient", *argv, bad.hex())
        assert "Traceback" not in err and "internal error" not in err
        assert status == (1 if "--type" in argv else 0), (argv, err)
        if status == 0:
            assert "type ?" in out or '"message_type": "type ?"' in out


# -- where the output goes -----------------------------------------------------------------

def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def test_a_closed_stdout_pipe_ends_quietly(tmp_path: Path) -> None:
    path = tmp_path / "many.pcap"
    path.write_bytes(pcap_of(*[udp_frame(DISCOVER)] * 3000))
    proc = subprocess.Popen([sys.executable, "-m", "dhcpwire", "decode", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert err == ""


def test_an_ascii_only_stdout_gets_non_utf8_text_options_escaped() -> None:
    odd = Options({53: MessageType.DISCOVER}).set_raw(12, b"caf\xc3\xa9").set_raw(
        15, b"\xff\xfe-not-utf-8")
    payload = encode(Message(xid=1, chaddr=bytes(6), options=odd))
    for extra in ([], ["--json"], ["--summary"]):
        proc = subprocess.run([sys.executable, "-m", "dhcpwire", "decode", *extra,
                               payload.hex()], capture_output=True, check=False,
                              env=_env(PYTHONIOENCODING="ascii", LC_ALL="C"))
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr == b""
        proc.stdout.decode("ascii")  # nothing but ASCII was written
    text = subprocess.run([sys.executable, "-m", "dhcpwire", "decode", payload.hex()],
                          capture_output=True, check=False,
                          env=_env(PYTHONIOENCODING="ascii")).stdout.decode()
    assert "'caf\\xe9'" in text and "\\udcff" in text


# -- a fuzz of captures through the commands, in process ------------------------------------

COMMANDS = [["decode"], ["decode", "--lenient"], ["decode", "--json", "--lenient"],
            ["decode", "--summary", "--follow", "--type", "offer,bootp"], ["lint"],
            ["lint", "--json", "--all"]]
REAL = [p.read_bytes() for p in (DORA, RENEWAL, CAPTURES / "ntop_nDPI__dhcp-fuzz.pcapng",
                                  CAPTURES / "sjm-steffann_dhcpkit__avm-client.pcapng")]


@settings(max_examples=150)
@given(st.sampled_from(REAL), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                       max_size=8),
       st.integers(0, 10**6), st.sampled_from(COMMANDS))
def test_no_exception_escapes_main_for_damaged_captures(
        capture: bytes, changes: list[tuple[int, int]], cut: int, command: list[str]) -> None:
    data = bytearray(capture)
    for position, value in changes:
        data[position % len(data)] = value
    damaged = bytes(data[: cut % (len(data) + 1)])
    status, _, err = run(*command, "-", stdin=damaged)
    assert status in (0, 1, 2)
    for line in err.splitlines():
        assert line.startswith("dhcpwire: ") and "internal error" not in line, line


@settings(max_examples=150)
@given(st.binary(min_size=0, max_size=600), st.sampled_from(COMMANDS))
def test_no_exception_escapes_main_for_any_payload(payload: bytes,
                                                   command: list[str]) -> None:
    for data in (payload, pcap_of(udp_frame(payload)), DISCOVER[:20] + payload):
        status, _, err = run(*command, "-", stdin=data)
        assert status in (0, 1, 2)
        assert "internal error" not in err and "Traceback" not in err
