"""The ``dhcpwire decode`` and ``demo`` commands, and ``dhcpwire --version``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dhcpwire.cli import main

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
DORA = CAPTURES / "arkime_arkime__wireshark-dhcp.pcap"
DISCOVER_HEX = ("0101060000003d1d" + "00" * 20 + "000b8201fc42" + "00" * 202
                + "63825363" + "3501013d0701000b8201fc42" + "ff")


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def test_decode_hex_prints_header_and_named_typed_options() -> None:
    status, out, err = run("decode", DISCOVER_HEX)
    assert status == 0 and err == ""
    assert "DHCPDISCOVER xid=0x00003d1d chaddr=00:0b:82:01:fc:42" in out
    assert "op       BOOTREQUEST" in out
    assert " 53 message-type" in out and "DISCOVER" in out
    assert "client-identifier" in out and "ClientIdentifier(type=1" in out


def test_decode_pcap_prints_every_dhcp_frame() -> None:
    status, out, _ = run("decode", str(DORA))
    assert status == 0
    assert [line.split(":")[1].split()[0] for line in out.splitlines()
            if line.startswith("frame ")] == ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST",
                                              "DHCPACK"]
    assert "ip-address-lease-time        3600" in out


def test_decode_pcapng(tmp_path: Path) -> None:
    status, out, _ = run("decode", str(CAPTURES / "chrissanders_packets__dhcp_inlease_renewal"
                                                  ".pcapng"))
    assert status == 0 and out.count("frame ") == 2


def test_decode_raw_payload_file_and_hex_text_file(tmp_path: Path) -> None:
    raw = tmp_path / "discover.bin"
    raw.write_bytes(bytes.fromhex(DISCOVER_HEX))
    text = tmp_path / "discover.hex"
    text.write_text(DISCOVER_HEX + "\n")
    for path in (raw, text):
        status, out, _ = run("decode", str(path))
        assert status == 0 and "DHCPDISCOVER" in out


def test_decode_json_is_json_lines_with_time_frame_and_schema() -> None:
    status, out, _ = run("decode", "--json", str(DORA))
    assert status == 0
    data = [json.loads(line) for line in out.splitlines()]
    assert [m["message_type"] for m in data] == ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST",
                                                 "DHCPACK"]
    assert [(m["schema"], m["frame"]) for m in data] == [(1, 1), (1, 2), (1, 3), (1, 4)]
    offer = data[1]
    assert offer["yiaddr"] == "192.168.0.10" and offer["chaddr"] == "00:0b:82:01:fc:42"
    assert offer["xid"] == "0x00003d1d" and offer["ip_src"] == "192.168.0.1"
    # tshark -T fields -e frame.time_epoch: 1102274184.317748000 for frame 2
    assert offer["time"] == "2004-12-05T19:16:24.317748Z"
    assert offer["epoch"] == pytest.approx(1102274184.317748, abs=1e-6)
    assert "interface" not in offer  # classic pcap has no interfaces
    lease = next(o for o in offer["options"] if o["code"] == 51)
    assert lease == {"code": 51, "name": "ip-address-lease-time", "value": 3600}


def test_decode_json_gives_the_pcapng_interface() -> None:
    status, out, _ = run("decode", "--json", str(CAPTURES / "chrissanders_packets__dhcp_"
                                                  "inlease_renewal.pcapng"))
    assert status == 0
    assert [json.loads(line)["interface"] for line in out.splitlines()] == [0, 0]


def test_decode_json_objects_are_flushed_one_by_one() -> None:
    class Flushes(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[int] = []

        def flush(self) -> None:
            self.seen.append(self.getvalue().count("\n"))

    out = Flushes()
    assert main(["decode", "--json", str(DORA)], out=out, err=io.StringIO()) == 0
    assert out.seen[:4] == [1, 2, 3, 4]


def test_decode_summary_json_is_short_objects() -> None:
    status, out, _ = run("decode", "--summary", "--json", str(DORA))
    assert status == 0
    first = json.loads(out.splitlines()[1])
    assert first["message_type"] == "DHCPOFFER" and first["yiaddr"] == "192.168.0.10"
    assert first["lease"] == 3600 and "options" not in first


def test_bad_hex_is_one_line_error_with_offset_and_exit_2() -> None:
    status, out, err = run("decode", DISCOVER_HEX[:-8])
    assert status == 2 and out == ""
    assert err.count("\n") == 1
    assert "TruncatedOption" in err and "offset 243" in err and "option 61" in err


def test_a_fragment_is_reported_not_decoded() -> None:
    capture = CAPTURES / "the-tcpdump-group_tcpdump__bootp_asan.pcap"
    status, out, err = run("decode", str(capture))
    assert status == 1 and out == ""  # nothing decoded, so nothing matched
    assert err == (f"dhcpwire: {capture}: frame 1: an IPv4 fragment (octet 0 of a UDP "
                   "datagram), not reassembled: not decoded\n")


def test_a_message_that_does_not_decode_gives_payload_and_file_offsets(tmp_path: Path) -> None:
    data = DORA.read_bytes()
    cut = bytearray(data)
    # frame 1's record: captured length 314 -> 130; its payload starts at file offset 82
    cut[32:36] = (130).to_bytes(4, "little")
    capture = tmp_path / "cut.pcap"
    capture.write_bytes(bytes(cut[:24 + 16 + 130]) + data[24 + 16 + 314:])
    status, out, err = run("decode", "--summary", str(capture))
    assert status == 2 and len(out.splitlines()) == 3  # the others still decode
    assert err == (f"dhcpwire: {capture}: frame 1: TruncatedHeader: 88 octets is shorter than "
                   "the 236-octet BOOTP header (offset 88, file offset 170)\n")


def test_lenient_mode_decodes_and_lists_defects() -> None:
    fuzz = str(CAPTURES / "ntop_nDPI__dhcp-fuzz.pcapng")
    assert run("decode", fuzz)[0] == 2
    status, out, _ = run("decode", "--lenient", fuzz)
    assert status == 0
    assert "defect: TruncatedOption" in out and "defect: MissingEnd" in out


def test_neither_file_nor_hex_is_an_error() -> None:
    status, _, err = run("decode", "no-such-file.pcap")
    assert status == 2
    assert err == ("dhcpwire: no-such-file.pcap: no such file, and not hex either (not hex: "
                   "'n' at line 1, column 1)\n")


def test_not_a_capture_file_damage_is_an_error_with_file_offset(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(DORA.read_bytes()[:400])
    status, out, err = run("decode", str(bad))
    assert status == 2 and out.count("frame ") == 1
    assert err == (f"dhcpwire: {bad}: damaged capture after 1 DHCP datagrams: record 2 claims "
                   "342 captured bytes but only 30 remain in the file (file offset 354)\n")


@pytest.mark.parametrize("argv", [["-m", "dhcpwire"], ["-m", "dhcpwire.cli"]])
def test_python_dash_m_runs_the_command(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, *argv, "decode", DISCOVER_HEX],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "DHCPDISCOVER" in proc.stdout


def test_garbage_never_gives_a_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "dhcpwire", "decode", "ff" * 250],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


# -- decode: filters, follow, summary ------------------------------------------------------

def test_decode_filters_by_type_xid_and_chaddr() -> None:
    status, out, _ = run("decode", "--summary", "--type", "offer,ack", str(DORA))
    assert status == 0
    assert [line.split()[5] for line in out.splitlines()] == ["DHCPOFFER", "DHCPACK"]
    status, out, _ = run("decode", "--summary", "--xid", "0x3d1e", str(DORA))
    assert [line.split()[5] for line in out.splitlines()] == ["DHCPREQUEST", "DHCPACK"]
    status, out, _ = run("decode", "--summary", "--chaddr", "00:0b:82:01:fc:43", str(DORA))
    assert status == 1 and out == ""  # grep's convention: nothing matched


def test_decode_chaddr_matches_exactly_not_a_prefix() -> None:
    assert run("decode", "--summary", "--chaddr", "00:0b:82", str(DORA))[0] == 1
    status, out, _ = run("decode", "--summary", "--chaddr", "00-0B-82-01-FC-42", str(DORA))
    assert status == 0 and len(out.splitlines()) == 4


@pytest.mark.parametrize(("xid", "shown"), [("0x3d1e", 2), ("0X00003D1E", 2), ("15646", 2),
                                            ("15645", 2), ("0x1", 0)])
def test_decode_xid_is_0x_hex_or_decimal(xid: str, shown: int) -> None:
    status, out, _ = run("decode", "--summary", "--xid", xid, str(DORA))
    assert len(out.splitlines()) == shown and status == (0 if shown else 1)


@pytest.mark.parametrize("xid", ["010", "3d1e", "0x", "-5", "0x1ffffffff", "1e3"])
def test_decode_xid_refuses_ambiguous_or_bad_values(
        xid: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["decode", "--xid", xid, str(DORA)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "xid" in err and "Traceback" not in err
    if xid == "010":
        assert "leading zero: write 10 (decimal) or 0x10 (hex)" in err


def test_xid_is_hex_in_text_and_json_alike() -> None:
    text = run("decode", str(DORA))[1]
    data = [json.loads(line) for line in run("decode", "--json", str(DORA))[1].splitlines()]
    assert "xid      0x00003d1d" in text and data[0]["xid"] == "0x00003d1d"


def test_decode_follow_groups_messages_by_xid() -> None:
    status, out, _ = run("decode", "--summary", "--follow", str(DORA))
    assert status == 0
    assert "transaction 0x00003d1d (2 messages: DHCPDISCOVER DHCPOFFER)" in out
    assert "transaction 0x00003d1e (2 messages: DHCPREQUEST DHCPACK)" in out
    status, out, _ = run("decode", "--follow", "--json", str(DORA))
    data = [json.loads(line) for line in out.splitlines()]
    assert [g["xid"] for g in data] == ["0x00003d1d", "0x00003d1e"]
    assert [m["message_type"] for m in data[1]["messages"]] == ["DHCPREQUEST", "DHCPACK"]


def test_follow_says_1_message_in_the_singular() -> None:
    status, out, _ = run("decode", "--summary", "--follow", "--type", "offer", str(DORA))
    assert status == 0 and "transaction 0x00003d1d (1 message: DHCPOFFER)" in out


def test_decode_summary_is_one_line_per_message_with_addresses() -> None:
    status, out, _ = run("decode", "--summary", str(DORA))
    lines = out.splitlines()
    assert status == 0 and len(lines) == 4
    assert lines[1].startswith("frame 2: 192.168.0.1 > 192.168.0.10 DHCPOFFER")


@pytest.mark.parametrize("argv", [["--type", "nonsense"], ["--xid", "zz"],
                                  ["--chaddr", "xyz"], ["--strict", "--lenient"]])
def test_decode_bad_options_exit_2_with_a_message(argv: list[str],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["decode", *argv, str(DORA)])
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err


# -- demo ----------------------------------------------------------------------------------

def test_demo_prints_the_three_scenarios() -> None:
    status, out, err = run("demo")
    assert status == 0 and err == ""
    assert "== first:" in out and "== second:" in out and "== extension:" in out
    first = out.split("== second:")[0]
    assert first.count("sends DHCPOFFER") == 2
    assert "server B  192.0.2.20: free again" in first
    assert "CHECKING -> BOUND" in first
    second = out.split("== second:")[1].split("== extension:")[0]
    assert "INIT-REBOOT -> REBOOTING" in second and "sends DHCPNAK" in second
    assert "REBOOTING -> INIT" in second and "198.51.100.10" in second
    extension = out.split("== extension:")[1]
    for step in ("BOUND -> RENEWING", "RENEWING -> BOUND", "RENEWING -> REBINDING",
                 "REBINDING -> INIT", "stops using 192.0.2.10"):
        assert step in extension


def test_demo_is_deterministic_for_a_seed_and_differs_across_seeds() -> None:
    one = run("demo", "--seed", "7")[1]
    assert one == run("demo", "--seed", "7")[1]
    assert one != run("demo", "--seed", "8")[1]
    assert run("demo", "--json", "--seed", "7")[1] == run("demo", "--json", "--seed", "7")[1]


def test_demo_json_and_lease_time() -> None:
    status, out, _ = run("demo", "--scenario", "extension", "--lease-time", "600", "--json")
    assert status == 0
    data = json.loads(out)
    assert data["lease_time"] == 600 and [s["scenario"] for s in data["scenarios"]] == [
        "extension"]
    timeline = data["scenarios"][0]["timeline"]
    sent = [e for e in timeline if e["kind"] == "send"]
    assert sent[0]["message"]["message_type"] == "DHCPDISCOVER" and sent[0]["octets"] == 300
    lease = next(o for o in sent[1]["message"]["options"] if o["code"] == 51)
    assert lease["value"] == 600


def test_demo_refuses_a_too_short_lease() -> None:
    status, _, err = run("demo", "--lease-time", "10")
    assert status == 2 and "at least 60" in err


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _many_frames_pcap(path: Path, count: int) -> None:
    """A pcap of ``count`` copies of the DORA capture's first frame."""
    data = DORA.read_bytes()
    header, first = data[:24], data[24:]
    caplen = int.from_bytes(first[8:12], "little" if data[:4] == b"\xd4\xc3\xb2\xa1" else "big")
    record = first[:16 + caplen]
    path.write_bytes(header + record * count)


def test_decode_shows_a_packet_count_on_a_terminal_and_clears_it(tmp_path: Path) -> None:
    capture = tmp_path / "many.pcap"
    _many_frames_pcap(capture, 1200)
    out, err = io.StringIO(), _Terminal()
    assert main(["decode", "--summary", str(capture)], out=out, err=err) == 0
    assert len(out.getvalue().splitlines()) == 1200
    assert err.getvalue() == "\r500 packets...\r1000 packets...\r" + " " * 24 + "\r"


def test_decode_shows_no_count_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    capture = tmp_path / "many.pcap"
    _many_frames_pcap(capture, 1200)
    status, out, err = run("decode", "--summary", str(capture))
    assert status == 0 and len(out.splitlines()) == 1200 and err == ""


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    import dhcpwire

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == f"dhcpwire {dhcpwire.__version__}\n"


def test_decode_prints_the_capture_time_of_each_frame() -> None:
    out = run("decode", str(DORA))[1]
    assert "frame 1: DHCPDISCOVER xid=0x00003d1d chaddr=00:0b:82:01:fc:42 at " \
           "2004-12-05T19:16:24.317453Z" in out
