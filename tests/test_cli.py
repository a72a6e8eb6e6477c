"""The ``dhcpwire decode`` command."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from dhcpwire.cli import main

CAPTURES = Path(__file__).parent / "captures"
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
