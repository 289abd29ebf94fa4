"""Machines for the multi-host tests: Linux network namespaces on a private network.

Each host is a network namespace with its loopback up and one interface, eth0, that has
an address in 10.231.0.0/24 and no route anywhere else. A veth pair is the cable from
each eth0 to a bridge, the switch, which sits in a namespace of its own: nothing is added
to this machine's own network. The hosts know each other by name, as on a network with
DNS: `ip netns exec` shows the programs it runs /etc/netns/<namespace>/hosts as /etc/hosts.
"""

import ctypes
import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager, suppress
from pathlib import Path

# A private range that this machine does not use (see `ip -4 addr` and `ip route`).
# Only the namespaces have it, so it cannot clash with a network the machine is on.
ADDRESSES = {
    "redis": "10.231.0.2",
    "db": "10.231.0.3",
    "web": "10.231.0.10",
    "app1": "10.231.0.11",
    "app2": "10.231.0.12",
    "users": "10.231.0.100",
}
# One name for both app hosts: nginx makes an upstream server of each of its addresses.
ALIASES = {"app1": "app", "app2": "app"}

CLONE_NEWNET = 0x40000000
# Where `ip` is, even when the system directories are not on PATH.
PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
IP = shutil.which("ip", path=PATH) or "ip"


def setns(fd):
    """Move this thread into the network namespace open as `fd` (os.setns from 3.12)."""
    if hasattr(os, "setns"):
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)  # Python 3.11: the same system call
    if libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def ip(*args):
    """Run `ip`; its output."""
    done = subprocess.run([IP, *args], capture_output=True, text=True, timeout=10)
    if done.returncode:
        raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


class Network:
    """The hosts, each a network namespace called <prefix>-<host>, and their switch."""

    def __init__(self):
        self.prefix = f"backchat{os.getpid()}"  # unique on this machine while we run

    def namespace(self, host):
        return f"{self.prefix}-{host}"

    def namespaces(self):
        return [self.namespace(host) for host in ["switch", *ADDRESSES]]

    def create(self):
        switch = self.namespace("switch")
        ip("netns", "add", switch)
        ip("-n", switch, "link", "add", "name", "switch", "type", "bridge")
        ip("-n", switch, "link", "set", "dev", "switch", "up")
        hosts = "127.0.0.1 localhost\n" + "".join(
            f"{address} {host} {ALIASES.get(host, '')}\n" for host, address in ADDRESSES.items()
        )
        for host, address in ADDRESSES.items():
            namespace = self.namespace(host)
            ip("netns", "add", namespace)
            ip("-n", namespace, "link", "set", "dev", "lo", "up")
            # The cable: eth0 in the host, its other end (named after the host) in the switch.
            cable = ["type", "veth", "peer", "name", "eth0", "netns", namespace]
            ip("-n", switch, "link", "add", "name", host, *cable)
            ip("-n", switch, "link", "set", "dev", host, "master", "switch", "up")
            ip("-n", namespace, "address", "add", f"{address}/24", "dev", "eth0")
            ip("-n", namespace, "link", "set", "dev", "eth0", "up")
            etc = Path("/etc/netns") / namespace
            etc.mkdir(parents=True)
            (etc / "hosts").write_text(hosts)

    def command(self, host, args):
        """The command line that runs `args` on the host."""
        return [IP, "netns", "exec", self.namespace(host), *args]

    @contextmanager
    def inside(self, host):
        """Sockets opened in this block are the host's: the thread moves into the host's
        namespace, and back. A socket stays where it was opened, whoever uses it later."""
        with (
            open(f"/run/netns/{self.namespace(host)}") as there,
            open("/proc/thread-self/ns/net") as here,
        ):
            setns(there.fileno())
            try:
                yield
            finally:
                setns(here.fileno())

    def pids(self, host):
        """The processes running on the host."""
        return [int(pid) for pid in ip("netns", "pids", self.namespace(host)).split()]

    def kill(self, host, timeout=30):
        """SIGKILL every process on the host, as a crash would, until none is left."""
        deadline = time.monotonic() + timeout
        while pids := self.pids(host):
            if time.monotonic() > deadline:
                raise TimeoutError(f"processes {pids} on {host} survived SIGKILL")
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def delete(self):
        """Delete every namespace of ours that exists (the processes in them are gone)."""
        for namespace in self.remaining():
            ip("netns", "delete", namespace)
        for namespace in self.namespaces():
            shutil.rmtree(Path("/etc/netns") / namespace, ignore_errors=True)

    def remaining(self):
        """Our namespaces that still exist."""
        existing = {line.split()[0] for line in ip("netns", "list").splitlines() if line}
        return [namespace for namespace in self.namespaces() if namespace in existing]
