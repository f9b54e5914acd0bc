#!/usr/bin/env python3
"""Reference oracle for LineDiscipline: runs one case through the kernel's N_TTY on a real pty.

Reads one JSON object on stdin:
    {"stty": "-echoe icanon eol ;",   settings for `stty` (split like a shell would), may be ""
     "column": 3,                     cursor column before the input (a prompt was written)
     "input": "61620a",               keyboard bytes, hex
     "reads": [3, 3]}                 read sizes; [] means read 4096 until it would block
and prints {"echo": hex, "reads": [hex, ...]} on stdout: everything the tty echoed to the
terminal (the master side) for the input, then the results of non-blocking reads on the
slave side (b"" = a read that returned 0, end of file). Reading stops at the first read that
would block (EAGAIN), after the given sizes, or after 64 reads.

Steps: open a pty pair; `stty sane` on the slave; write `column` 'x's to the slave and drain
them from the master (so the tty's own column tracking stands at that column; done before the
case's settings, so that e.g. -opost cannot stop it from counting); apply the case's settings
with the real stty; write the input to the master in one write (the line discipline then
receives it as one chunk, as LineDiscipline.receive does); collect the echo until the master has
been quiet for 100 ms (400 ms while nothing has come yet; 3 s at most); then read the slave
non-blocking.

Errors: a message on stderr and exit status 1.
"""

import errno
import fcntl
import json
import os
import select
import shlex
import subprocess
import sys
import time

QUIET = 0.1
FIRST_ECHO_WAIT = 0.4  # before the first echo byte: the kernel's worker may be slow to start on a busy machine
ECHO_DEADLINE = 3.0
MAX_READS = 64
DEFAULT_READ = 4096


class OracleError(Exception):
    pass


def run_stty(path, args):
    r = subprocess.run(["stty", "-F", path] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
    if r.returncode != 0:
        raise OracleError("stty %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                     r.stderr.decode(errors="replace").strip()))


def set_nonblocking(fd):
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)


def read_master(master, timeout):
    """One read from the master if it becomes readable within timeout; b"" if it did not."""
    ready, _, _ = select.select([master], [], [], timeout)
    if not ready:
        return b""
    try:
        return os.read(master, 65536)
    except BlockingIOError:
        return b""
    except OSError as e:
        if e.errno == errno.EIO:
            raise OracleError("master read: EIO (slave side gone)")
        raise


def drain_exactly(master, count, deadline):
    got = bytearray()
    while len(got) < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise OracleError("prompt: got %d of %d bytes back from the master" % (len(got), count))
        got += read_master(master, min(left, QUIET))
    if len(got) != count:
        raise OracleError("prompt: got %r back, expected %d 'x'" % (bytes(got), count))


def write_input(master, data, echo, deadline):
    """Writes data to the master, collecting echo meanwhile so that neither side can fill up."""
    view = memoryview(data)
    while view:
        if time.monotonic() > deadline:
            raise OracleError("input: %d bytes still unwritten after %.0f s" % (len(view), ECHO_DEADLINE))
        readable, writable, _ = select.select([master], [master], [], QUIET)
        if readable:
            echo += read_master(master, 0)
        if writable:
            try:
                n = os.write(master, view)
                view = view[n:]
            except BlockingIOError:
                pass


def collect_echo(master, echo, deadline):
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        chunk = read_master(master, min(left, QUIET if echo else FIRST_ECHO_WAIT))
        if not chunk:
            return  # quiet long enough (or the deadline came)
        echo += chunk


def read_slave(slave, sizes):
    set_nonblocking(slave)
    results = []
    i = 0
    while len(results) < MAX_READS:
        if sizes:
            if i >= len(sizes):
                break
            size = sizes[i]
        else:
            size = DEFAULT_READ
        i += 1
        try:
            data = os.read(slave, size)
        except BlockingIOError:
            break
        results.append(data)
    return results


def run(request):
    settings = request.get("stty") or ""
    column = int(request.get("column") or 0)
    data = bytes.fromhex(request.get("input") or "")
    sizes = [int(s) for s in (request.get("reads") or [])]
    if column < 0 or any(s <= 0 for s in sizes):
        raise OracleError("column and read sizes must not be negative / must be positive")

    master, slave = os.openpty()
    try:
        path = os.ttyname(slave)
        set_nonblocking(master)
        run_stty(path, ["sane"])
        if column:
            os.write(slave, b"x" * column)
            drain_exactly(master, column, time.monotonic() + ECHO_DEADLINE)
        args = shlex.split(settings)
        if args:
            run_stty(path, args)
        echo = bytearray()
        deadline = time.monotonic() + ECHO_DEADLINE
        write_input(master, data, echo, deadline)
        collect_echo(master, echo, deadline)
        reads = read_slave(slave, sizes)
        return {"echo": bytes(echo).hex(), "reads": [r.hex() for r in reads]}
    finally:
        os.close(slave)
        os.close(master)


def main():
    try:
        request = json.load(sys.stdin)
        if not isinstance(request, dict):
            raise OracleError("stdin: expected a JSON object")
        result = run(request)
    except (OracleError, ValueError, OSError, subprocess.SubprocessError) as e:
        sys.stderr.write("pty_oracle: %s: %s\n" % (type(e).__name__, e))
        return 1
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
