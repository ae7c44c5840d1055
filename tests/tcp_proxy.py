"""A TCP proxy the tests put between the app and the machine's Redis, to break it on purpose.

`refuse()` closes the port (connection refused) and drops open connections; `hang()` accepts
connections and holds every byte, so a client waits for an answer that never comes;
`restore()` forwards again, on the same port. The shared Redis server itself is never stopped.
"""

import contextlib
import socket
import threading
import time


class TcpProxy:
    def __init__(self, target=("127.0.0.1", 6379)):
        self.target = target
        self.mode = "pass"
        self.port = 0
        self._lock = threading.Lock()
        self._sockets = set()
        self._listener = None
        self._listen()

    def _listen(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _track(self, *sockets):
        with self._lock:
            self._sockets.update(sockets)

    def _accept(self, listener):
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return  # the listener was closed
            if self.mode == "hang":
                self._track(client)  # held open, never answered
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            self._track(client, upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                while self.mode == "hang":
                    time.sleep(0.01)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._close(sock)

    def _close(self, sock):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()
        with self._lock:
            self._sockets.discard(sock)

    def _drop_connections(self):
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            self._close(sock)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def refuse(self):
        self.mode = "refuse"
        self._close(self._listener)
        self._drop_connections()

    def hang(self):
        self.mode = "hang"

    def restore(self):
        if self.mode == "refuse":
            self._listen()
        self.mode = "pass"
        self._drop_connections()  # those held while hanging: clients reconnect

    def close(self):
        self._close(self._listener)
        self._drop_connections()
