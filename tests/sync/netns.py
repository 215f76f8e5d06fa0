"""Real network namespaces for sync tests: two devices on separate networks that share only the
relay, with no route between them.

Topology (all inside one `unshare -rn` user and network namespace, so the machine's own network
is never touched):

    laptop ns  eth0 100.77.1.2/24 ── veth ── 100.77.1.1  relay ns  100.77.2.1 ── veth ── 100.77.2.2 eth0  desktop ns

The relay namespace does not forward (`net.ipv4.ip_forward` is 0 in a new namespace), so the laptop
reaches the relay and the desktop reaches the relay, but no packet goes from one device to the other,
until `Networks.open_route()` makes the relay namespace a router between them. The addresses are in
100.64.0.0/10 (shared address space): neither private nor local, so the device status calls a
connection between the namespaces "direct", as it would call one over the internet.
Processes are started in a namespace with `nsenter --net` (this harness runs as root); they share
the file system, so the test reads their databases as usual.
"""

from __future__ import annotations

import shutil
import subprocess

from tests.sync.peers import Node

SUBNETS = {"laptop": "100.77.1", "desktop": "100.77.2"}

_SETUP = r"""
set -e
ip link set lo up
unshare -n sleep 86400 & LAPTOP=$!
unshare -n sleep 86400 & DESKTOP=$!
trap 'kill $LAPTOP $DESKTOP 2>/dev/null' EXIT
for pid in $LAPTOP $DESKTOP; do  # wait until each child has its own network namespace
  until [ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/$$/ns/net)" ]; do sleep 0.01; done
done
ip link add to-laptop type veth peer name eth0 netns $LAPTOP
ip link add to-desktop type veth peer name eth0 netns $DESKTOP
ip addr add 100.77.1.1/24 dev to-laptop && ip link set to-laptop up
ip addr add 100.77.2.1/24 dev to-desktop && ip link set to-desktop up
nsenter -t $LAPTOP -n sh -c 'ip link set lo up && ip addr add 100.77.1.2/24 dev eth0 && ip link set eth0 up'
nsenter -t $DESKTOP -n sh -c 'ip link set lo up && ip addr add 100.77.2.2/24 dev eth0 && ip link set eth0 up'
echo "$$ $LAPTOP $DESKTOP"
read _ || true  # serve until stdin closes
"""


def unavailable() -> str | None:
    """Why network namespaces cannot be made here, or None."""
    for tool in ("unshare", "nsenter", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        return f"unshare -rn failed: {probe.stderr.strip()}"
    return None


class Networks:
    """The three namespaces; `prefix(name)` runs a command in one of them (`relay`, `laptop`, `desktop`)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["unshare", "-rn", "bash", "-c", _SETUP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 3:
            assert self.proc.stderr is not None
            self.proc.kill()
            raise RuntimeError("could not build the network namespaces: " + self.proc.stderr.read())
        relay, laptop, desktop = line
        self.pids = {"relay": relay, "laptop": laptop, "desktop": desktop}

    def prefix(self, name: str) -> list[str]:
        return ["nsenter", "-t", self.pids[name], "-n"]

    def relay_ip(self, device: str) -> str:
        """The relay's address on that device's network."""
        return f"{SUBNETS[device]}.1"

    def device_ip(self, device: str) -> str:
        return f"{SUBNETS[device]}.2"

    def can_connect(self, source: str, ip: str, port: int) -> bool:
        """Whether a TCP connection from namespace `source` to ip:port is accepted (refused and
        unroutable both say no)."""
        probe = subprocess.run(
            [
                *self.prefix(source),
                "python3",
                "-c",
                "import socket,sys\n"
                f"try: socket.create_connection(('{ip}', {port}), 2).close()\n"
                "except OSError: sys.exit(1)",
            ],
            capture_output=True,
            timeout=15,
        )
        return probe.returncode == 0

    def open_route(self) -> None:
        """A route between the devices appears: the relay namespace forwards, each device routes the
        other's network through it (as if their networks were joined, or a firewall opened)."""
        script = "echo 1 > /proc/sys/net/ipv4/ip_forward"
        subprocess.run([*self.prefix("relay"), "sh", "-c", script], check=True, timeout=15)
        for device, other in (("laptop", "desktop"), ("desktop", "laptop")):
            route = ["ip", "route", "add", f"{SUBNETS[other]}.0/24", "via", self.relay_ip(device)]
            subprocess.run([*self.prefix(device), *route], check=True, timeout=15)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# Each node listens on every address of its namespace, on a port no other node uses (so an address
# of another device that names 127.0.0.1 finds nothing in this namespace).
PORTS = {"laptop": 4101, "desktop": 4102, "backup": 4103}
WHERE = {"laptop": "laptop", "desktop": "desktop", "backup": "relay"}


def move(networks: Networks, laptop: Node, desktop: Node, backup: Node) -> None:
    """The (stopped, paired) devices each go to their own network and the backup to the relay's;
    each device is told the backup's address on its network (`vivim peers add`), then all start."""
    for node in (laptop, desktop, backup):
        node.prefix = networks.prefix(WHERE[node.name])
        node.env["VIVIM_SYNC_LISTEN"] = f"/ip4/0.0.0.0/tcp/{PORTS[node.name]}"
    backup.start()
    for node in (laptop, desktop):
        relay_addr = f"/ip4/{networks.relay_ip(node.name)}/tcp/{PORTS['backup']}/p2p/{backup.peer_id}"
        if node.cli("peers", "add", relay_addr).returncode != 0:
            raise RuntimeError(f"vivim peers add {relay_addr} failed on the {node.name}")
        node.start()


NAT_SUBNETS = {"laptop": ("192.168.1", "100.64.1"), "desktop": ("192.168.2", "100.64.2")}

_NAT_SETUP = r"""
set -e
ip link set lo up
echo 1 > /proc/sys/net/ipv4/ip_forward  # the internet routes between the two routers' WAN sides
unshare -n sleep 86400 & NAT_LAPTOP=$!
unshare -n sleep 86400 & NAT_DESKTOP=$!
unshare -n sleep 86400 & LAPTOP=$!
unshare -n sleep 86400 & DESKTOP=$!
trap 'kill $NAT_LAPTOP $NAT_DESKTOP $LAPTOP $DESKTOP 2>/dev/null' EXIT
for pid in $NAT_LAPTOP $NAT_DESKTOP $LAPTOP $DESKTOP; do
  until [ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/$$/ns/net)" ]; do sleep 0.01; done
done
home() {  # home NAME ROUTER_PID DEVICE_PID LAN_PREFIX WAN_PREFIX
  ip link add "to-$1" type veth peer name wan netns "$2"
  ip addr add "$5.1/24" dev "to-$1" && ip link set "to-$1" up
  ip link add lan netns "$2" type veth peer name eth0 netns "$3"
  nsenter -t "$2" -n sh -c "
    ip link set lo up && ip addr add $5.2/24 dev wan && ip link set wan up
    ip addr add $4.1/24 dev lan && ip link set lan up && ip route add default via $5.1
    echo 1 > /proc/sys/net/ipv4/ip_forward
    nft add table ip nat
    nft 'add chain ip nat post { type nat hook postrouting priority 100 ; }'
    nft add rule ip nat post oifname wan masquerade
    nft add table ip filter
    nft 'add chain ip filter input { type filter hook input priority 0 ; }'
    nft 'add chain ip filter forward { type filter hook forward priority 0 ; }'
    nft add rule ip filter input iifname wan ct state new drop
    nft add rule ip filter forward iifname wan ct state new drop"
  nsenter -t "$3" -n sh -c "
    ip link set lo up && ip addr add $4.2/24 dev eth0 && ip link set eth0 up
    ip route add default via $4.1"
}
home laptop $NAT_LAPTOP $LAPTOP 192.168.1 100.64.1
home desktop $NAT_DESKTOP $DESKTOP 192.168.2 100.64.2
echo "$$ $LAPTOP $DESKTOP $NAT_LAPTOP $NAT_DESKTOP"
read _ || true
"""


def nat_unavailable() -> str | None:
    """Why two home routers with NAT cannot be built here, or None (needs `nft`: Debian's nftables)."""
    reason = unavailable()
    if reason:
        return reason
    if shutil.which("nft") is None:
        return "nft is not installed (Debian package nftables)"
    probe = subprocess.run(
        ["unshare", "-rn", "sh", "-c", "nft add table ip nat && nft list tables"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    if probe.returncode != 0:
        return f"nftables NAT cannot be set up in a network namespace: {probe.stderr.strip()}"
    return None


class NatNetworks(Networks):
    """Each device at home behind its own router doing NAT (nftables masquerade), the backup on the
    "internet" between the routers (the outer namespace, which routes between their WAN sides):

        laptop 192.168.1.2 ── 192.168.1.1 [NAT] 100.64.1.2 ── 100.64.1.1  internet (backup)
        desktop 192.168.2.2 ── 192.168.2.1 [NAT] 100.64.2.2 ── 100.64.2.1

    Both devices reach the backup (their connections leave under the router's WAN address); nothing
    from outside reaches a device unless a connection from inside opened the mapping: the routers'
    firewalls drop new connections arriving on their WAN side, silently, as home routers do (a
    plain Linux NAT answers them with a reset, which kills a simultaneous TCP open). The case hole
    punching is for. Same interface as `Networks` (`relay` is the internet namespace)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["unshare", "-rn", "bash", "-c", _NAT_SETUP],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        if len(line) != 5:
            assert self.proc.stderr is not None
            self.proc.kill()
            raise RuntimeError("could not build the NAT namespaces: " + self.proc.stderr.read())
        internet, laptop, desktop, nat_laptop, nat_desktop = line
        self.pids = {
            "relay": internet,
            "laptop": laptop,
            "desktop": desktop,
            "nat-laptop": nat_laptop,
            "nat-desktop": nat_desktop,
        }

    def relay_ip(self, device: str) -> str:
        """The backup's address on the internet side facing that device's router."""
        return f"{NAT_SUBNETS[device][1]}.1"

    def device_ip(self, device: str) -> str:
        """The device's private address behind its router."""
        return f"{NAT_SUBNETS[device][0]}.2"

    def public_ip(self, device: str) -> str:
        """The address the device's connections leave under (its router's WAN side)."""
        return f"{NAT_SUBNETS[device][1]}.2"

    def open_route(self) -> None:
        raise NotImplementedError("behind NAT there is no route to open: only hole punching")
