"""The ``dhcpwire decode`` command."""

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


def test_decode_json_is_machine_readable() -> None:
    status, out, _ = run("decode", "--json", str(DORA))
    assert status == 0
    data = json.loads(out)
    assert [m["message_type"] for m in data] == ["DISCOVER", "OFFER", "REQUEST", "ACK"]
    offer = data[1]
    assert offer["yiaddr"] == "192.168.0.10" and offer["chaddr"] == "00:0b:82:01:fc:42"
    lease = next(o for o in offer["options"] if o["code"] == 51)
    assert lease == {"code": 51, "name": "ip-address-lease-time", "value": 3600}


def test_bad_hex_is_one_line_error_with_offset_and_exit_1() -> None:
    status, out, err = run("decode", DISCOVER_HEX[:-8])
    assert status == 1 and out == ""
    assert err.count("\n") == 1
    assert "TruncatedOption" in err and "offset 243" in err and "option 61" in err


def test_truncated_frame_in_capture_reports_payload_and_file_offsets() -> None:
    status, _, err = run("decode", str(CAPTURES / "the-tcpdump-group_tcpdump__bootp_asan.pcap"))
    assert status == 1
    assert err.strip() == ("dhcpwire: frame 1: TruncatedHeader: 48 octets is shorter than the "
                           "236-octet BOOTP header (offset 48, file offset 130)")


def test_lenient_mode_decodes_and_lists_defects() -> None:
    fuzz = str(CAPTURES / "ntop_nDPI__dhcp-fuzz.pcapng")
    assert run("decode", fuzz)[0] == 1
    status, out, _ = run("decode", "--lenient", fuzz)
    assert status == 0
    assert "defect: TruncatedOption" in out and "defect: MissingEnd" in out


def test_neither_file_nor_hex_is_an_error() -> None:
    status, _, err = run("decode", "no-such-file.pcap")
    assert status == 1 and "neither a file nor hex" in err


def test_not_a_capture_file_damage_is_an_error_with_file_offset(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(DORA.read_bytes()[:100])
    status, _, err = run("decode", str(bad))
    assert status == 1 and "file offset" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["-m", "dhcpwire"], ["-m", "dhcpwire.cli"]])
def test_python_dash_m_runs_the_command(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, *argv, "decode", DISCOVER_HEX],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "DHCPDISCOVER" in proc.stdout


def test_garbage_never_gives_a_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "dhcpwire", "decode", "ff" * 250],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


# -- decode: filters, follow, summary ------------------------------------------------------

def test_decode_filters_by_type_xid_and_chaddr() -> None:
    status, out, _ = run("decode", "--summary", "--type", "offer,ack", str(DORA))
    assert status == 0
    assert [line.split()[5] for line in out.splitlines()] == ["DHCPOFFER", "DHCPACK"]
    status, out, _ = run("decode", "--summary", "--xid", "0x3d1e", str(DORA))
    assert [line.split()[5] for line in out.splitlines()] == ["DHCPREQUEST", "DHCPACK"]
    status, out, _ = run("decode", "--summary", "--chaddr", "00:0b:82:01:fc:43", str(DORA))
    assert status == 0 and out == ""


def test_decode_follow_groups_messages_by_xid() -> None:
    status, out, _ = run("decode", "--summary", "--follow", str(DORA))
    assert status == 0
    assert "transaction 0x00003d1d (2 messages: DISCOVER OFFER)" in out
    assert "transaction 0x00003d1e (2 messages: REQUEST ACK)" in out
    status, out, _ = run("decode", "--follow", "--json", str(DORA))
    data = json.loads(out)
    assert [g["xid"] for g in data] == ["0x00003d1d", "0x00003d1e"]
    assert [m["message_type"] for m in data[1]["messages"]] == ["REQUEST", "ACK"]


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
    assert sent[0]["message"]["message_type"] == "DISCOVER" and sent[0]["octets"] == 300
    lease = next(o for o in sent[1]["message"]["options"] if o["code"] == 51)
    assert lease["value"] == 600


def test_demo_refuses_a_too_short_lease() -> None:
    status, _, err = run("demo", "--lease-time", "10")
    assert status == 2 and "at least 60" in err


# -- lint ----------------------------------------------------------------------------------

def test_lint_reports_table_3_violations_with_frame_numbers() -> None:
    status, out, _ = run("lint", str(DORA))
    assert status == 1
    assert "frame 2: error: DHCPOFFER: option 61 (client-identifier) is missing" in out
    assert out.splitlines()[-1] == "4 messages: 2 errors, 2 warnings"


def test_lint_reports_table_5_violations_of_a_release() -> None:
    status, out, _ = run("lint", str(CAPTURES / "sjm-steffann_dhcpkit__avm-client.pcapng"))
    assert status == 1
    assert "frame 9: error: DHCPRELEASE: option 12 (host-name) MUST NOT appear" in out
    assert "frame 9: warning: DHCPRELEASE: option 56 (message) SHOULD appear" in out


def test_lint_clean_capture_exits_0_and_strict_fails_on_warnings() -> None:
    renewal = str(CAPTURES / "chrissanders_packets__dhcp_inlease_renewal.pcapng")
    status, out, _ = run("lint", renewal)
    assert status == 0 and "0 errors, 1 warnings" in out
    assert run("lint", "--strict", renewal)[0] == 1
    status, out, _ = run("lint", "--json", "--errors-only", renewal)
    assert status == 0 and json.loads(out)["findings"] == []


def test_lint_undecodable_message_is_an_error() -> None:
    status, out, _ = run("lint", str(CAPTURES / "the-tcpdump-group_tcpdump__bootp_asan.pcap"))
    assert status == 1 and "frame 1: error: TruncatedHeader" in out


@pytest.mark.parametrize("capture", sorted(p.name for p in CAPTURES.glob("*.pcap*")))
def test_lint_runs_over_every_capture_without_a_traceback(capture: str) -> None:
    status, out, err = run("lint", str(CAPTURES / capture))
    assert status in (0, 1) and "Traceback" not in err
    assert " messages: " in out or err


def test_table_5_request_states_follow_table_4() -> None:
    from ipaddress import IPv4Address

    from dhcpwire import Message, MessageType
    from dhcpwire.tools.lint import check_client, request_state

    chaddr = bytes.fromhex("02005e100001")
    def req(**kw: object) -> Message:
        options = {53: MessageType.REQUEST, **kw.pop("options", {})}  # type: ignore[dict-item]
        return Message(xid=1, chaddr=chaddr, options=options, **kw)  # type: ignore[arg-type]
    selecting = req(options={50: IPv4Address("192.0.2.10"), 54: IPv4Address("192.0.2.1")})
    assert request_state(selecting) == "SELECTING" and check_client(selecting) == []
    reboot = req(options={50: IPv4Address("192.0.2.10")})
    assert request_state(reboot) == "INIT-REBOOT" and check_client(reboot) == []
    renew = req(ciaddr="192.0.2.10")
    assert request_state(renew, IPv4Address("192.0.2.1")) == "RENEWING"
    assert request_state(renew, IPv4Address("255.255.255.255")) == "REBINDING"
    assert check_client(renew, dst=IPv4Address("192.0.2.1")) == []
    bad = req(ciaddr="192.0.2.10", options={50: IPv4Address("192.0.2.10")})
    assert [str(f) for f in check_client(bad)] == [
        "error: DHCPREQUEST (RENEWING): option 50 (requested-ip-address) MUST NOT appear"]
    assert [str(f) for f in check_client(req())] == [
        "error: DHCPREQUEST: neither option 54, 'ciaddr' nor option 50: "
        "no state of table 4 sends it"]


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
