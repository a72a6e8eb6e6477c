"""Tools on top of the library: capture files, lint and an in-process network.

:mod:`.pcap` reads DHCP payloads out of pcap and pcapng captures;
:mod:`.lint` holds a capture's messages against RFC 2131 tables 3, 4 and 5;
:mod:`.simulator` runs real clients, relays and servers on a virtual clock.
"""
