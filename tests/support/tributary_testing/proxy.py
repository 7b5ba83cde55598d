"""A loopback TCP proxy that a test can cut or stall, to break connections between a client and a server.

`TcpProxy(target)` listens on a free loopback port and forwards each accepted connection to `target`
(host, port). `cut()` closes every open connection (both sides) and keeps listening; `stall()` stops
forwarding bytes in both directions while keeping the sockets open (the peers see silence, as with a
network partition), `resume()` lets the held bytes through; `refuse(True)` closes new connections at
once. Only loopback addresses are used.
"""

import socket
import threading


class TcpProxy:
    def __init__(self, target, listen_host="127.0.0.1", listen_port=0):
        self.target = target
        self._listener = socket.create_server((listen_host, listen_port))
        self.address = self._listener.getsockname()[:2]
        self._lock = threading.Lock()
        self._pairs = set()  # (client socket, server socket)
        self._stalled = threading.Event()
        self._resumed = threading.Event()
        self._refusing = False
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=f"proxy-{self.address[1]}", daemon=True)
        self.accepted = 0
        self.cuts = 0

    @property
    def port(self):
        return self.address[1]

    def start(self):
        self._thread.start()
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # ---- faults ----------------------------------------------------------------------------------

    def cut(self):
        """Closes every open connection now; new connections are accepted as before."""
        with self._lock:
            pairs, self._pairs = self._pairs, set()
            self.cuts += len(pairs)
        for pair in pairs:
            for sock in pair:
                _close(sock)

    def stall(self):
        """Stops forwarding in both directions; connections stay open and bytes wait in the kernel."""
        self._resumed.clear()
        self._stalled.set()

    def resume(self):
        self._stalled.clear()
        self._resumed.set()

    def refuse(self, refusing=True):
        """While refusing, new connections are closed as soon as they are accepted."""
        self._refusing = refusing

    @property
    def connections(self):
        with self._lock:
            return len(self._pairs)

    def close(self):
        self._closing = True
        self._resumed.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.cut()
        _close(self._listener)

    # ---- threads -----------------------------------------------------------------------------------

    def _run(self):
        """Accepts connections; each gets two pump threads (one per direction)."""
        self._listener.setblocking(True)
        self._listener.settimeout(0.5)
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            if self._refusing or self._closing:
                _close(client)
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            client.settimeout(None)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = (client, server)
            with self._lock:
                self._pairs.add(pair)
                self.accepted += 1
            for source, destination in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(pair, source, destination),
                                 name=f"proxy-{self.port}-pump", daemon=True).start()

    def _pump(self, pair, source, destination):
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            # While stalled, the bytes read are held here (and the kernel buffers fill behind them).
            while self._stalled.is_set() and not self._closing:
                self._resumed.wait(0.2)
            with self._lock:
                alive = pair in self._pairs
            if not alive:
                break
            try:
                destination.sendall(data)
            except OSError:
                break
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            _close(sock)


def _close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
