#!/usr/bin/python3
"""mqsim-client-pika - the real pika (Python AMQP 0-9-1) client as one member
of a scenario's producer or consumer group, for `mqsim load --clients real`
(load/lt_real.c starts it with /usr/bin/python3 and reads its log).

Why a driver in Python: the pika profile claims to behave like pika 1.2, and
only pika itself can prove it (its heartbeat checker, what it does with
deliveries it has read when the broker closes the connection). The
application around pika is the one the profile assumes, written as pika's
own examples write it: a BlockingConnection, basic_consume with a callback,
start_consuming(); pika has no automatic recovery, so the driver reconnects
only with recovery=loop (a hand-written loop, fixed interval) and otherwise
stays down.

Arguments are key=value (see load/lt_real.c); the log format is shared by
every driver (load/clients/README.md). A producer reads "<id> <intended_s>"
lines on stdin at their send times; both roles stop at EOF on stdin.
pika's BlockingConnection is not thread-safe: only the main thread touches
it; a reader thread moves stdin's lines into a queue.
"""
import queue
import random
import sys
import threading
import time

import pika

OUT_LOCK = threading.Lock()
ROUTED_REDELIVERED = "x-mqsim-redelivered"


def log(line):
    with OUT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def stdin_reader(q):
    for line in sys.stdin:
        q.put(line.strip())
    q.put(None)


def params(o):
    url = pika.URLParameters(o["url"])
    url.heartbeat = int(round(float(o["heartbeat"])))
    url.socket_timeout = 3
    url.blocked_connection_timeout = None
    url.client_properties = {"connection_name": o["name"]}
    url.connection_attempts = 1
    return url


def local_port(conn):
    # pika keeps the socket on its transport; the port names the connection
    # for a server-side close of this group's connections.
    try:
        return conn._impl._transport._sock.getsockname()[1]
    except Exception:  # pylint: disable=broad-except
        return 0


def reconnect_wait(o):
    return float(o["interval"]) if o.get("recovery") == "loop" else None


def producer(o):
    lines = queue.Queue()
    threading.Thread(target=stdin_reader, args=(lines,), daemon=True).start()
    conn = ch = None
    next_try = time.monotonic()
    pending = []  # [id, body, retries_left, due]
    eof = False
    held = -1
    confirms = o.get("confirms") == "1"

    def down(why):
        nonlocal conn, ch, next_try
        try:
            if conn is not None and conn.is_open:
                conn.close()
        except Exception:  # pylint: disable=broad-except
            pass
        conn = ch = None
        log("DOWN " + why)
        w = reconnect_wait(o)
        next_try = time.monotonic() + w if w is not None else float("inf")

    def connect():
        nonlocal conn, ch
        try:
            c = pika.BlockingConnection(params(o))
            chn = c.channel()
            if confirms:
                chn.confirm_delivery()
        except Exception:  # pylint: disable=broad-except
            return False
        conn, ch = c, chn
        log("UP %d" % local_port(c))
        return True

    if not connect():
        down("first-connect")
    while not eof:
        try:
            item = lines.get(timeout=0.02)
            while True:
                if item is None:
                    eof = True
                    break
                if item:
                    pending.append([item.split()[0], item, int(o["retries"]), 0.0])
                item = lines.get_nowait()
        except queue.Empty:
            pass
        if eof:
            break
        if conn is not None:
            try:
                conn.process_data_events(time_limit=0)
            except Exception as e:  # pylint: disable=broad-except
                down("closed %r" % e)
        if conn is None and time.monotonic() >= next_try:
            if not connect():
                w = reconnect_wait(o)
                next_try = time.monotonic() + w if w is not None else float("inf")
        now = time.monotonic()
        keep = []
        for p in pending:
            if p[3] > now:
                keep.append(p)
                continue
            if conn is not None:
                try:
                    # with confirm_delivery() this blocks until the broker
                    # acks: pika's BlockingChannel has no publish timeout
                    ch.basic_publish(o.get("exchange", ""), o["queue"], p[1].encode(),
                                     pika.BasicProperties(delivery_mode=2))
                    log("OK " + p[0])
                    continue
                except Exception as e:  # pylint: disable=broad-except
                    down("publish %r" % e)
            mode = o.get("ondown")
            if mode == "buffer":
                p[3] = next_try
                keep.append(p)
            elif mode == "retry" and p[2] > 0:
                p[2] -= 1
                p[3] = now + float(o["backoff"])
                log("REPUB " + p[0])
                keep.append(p)
            else:
                log("FAIL " + p[0])
        pending = keep
        if len(pending) != held:
            held = len(pending)
            log("HELD %d" % held)
    log("HELD %d" % len(pending))
    try:
        if conn is not None:
            conn.close()
    except Exception:  # pylint: disable=broad-except
        pass


def consumer(o):
    lines = queue.Queue()
    threading.Thread(target=stdin_reader, args=(lines,), daemon=True).start()
    rng = random.Random(int(o.get("seed", "1")))
    stop = threading.Event()
    auto = o.get("ack") == "auto"

    def stopped():
        if not stop.is_set():
            try:
                while True:
                    if lines.get_nowait() is None:
                        stop.set()
            except queue.Empty:
                pass
        return stop.is_set()

    def on_message(chn, method, props, body):
        mean = float(o["proc_mean"])
        time.sleep(rng.expovariate(1.0 / mean) if o.get("proc_kind") == "exp" and mean > 0 else mean)
        # a conversion's read routing carries the flag in a header (load/change/lt_conv_router.c)
        again = method.redelivered or ROUTED_REDELIVERED in (props.headers or {})
        log("DLV %s %d" % (body.split()[0].decode(), 1 if again else 0))
        if not auto:
            chn.basic_ack(method.delivery_tag)
        if stopped():
            chn.stop_consuming()

    while not stopped():
        try:
            conn = pika.BlockingConnection(params(o))
            chn = conn.channel()
            chn.basic_qos(prefetch_count=int(o["prefetch"]))
            chn.basic_consume(o["queue"], on_message, auto_ack=auto)
            log("UP %d" % local_port(conn))
            # the consume loop pika's examples show; an idle consumer still
            # looks at stdin once a second
            while not stopped():
                conn.process_data_events(time_limit=1)
            conn.close()
            return
        except Exception as e:  # pylint: disable=broad-except
            log("DOWN %r" % e)
        w = reconnect_wait(o)
        if w is None:
            while not stopped():
                time.sleep(0.2)
            return
        end = time.monotonic() + w
        while time.monotonic() < end and not stopped():
            time.sleep(0.05)


def main():
    o = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    if o.get("role") == "producer":
        producer(o)
    elif o.get("role") == "consumer":
        consumer(o)
    else:
        log("ERR role must be producer or consumer")
        sys.exit(2)


if __name__ == "__main__":
    main()
