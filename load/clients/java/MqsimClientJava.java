/*
 * MqsimClientJava - the real RabbitMQ Java client (com.rabbitmq.client 5.0,
 * Debian's librabbitmq-client-java) as one member of a scenario's producer
 * or consumer group, for `mqsim load --clients real` (load/lt_real.c starts
 * it and reads its log).
 *
 * Why a driver in Java: the rabbitmq-java profile claims to behave like
 * this library, and only the library itself can prove it (automatic
 * recovery and its fixed networkRecoveryInterval, heartbeat detection, the
 * consumer work pool that keeps dispatching what it has read). recovery=auto
 * turns on the library's own automatic recovery with the given interval;
 * recovery=loop or none turn it off (loop: the application reconnects after
 * the interval, as for the other libraries).
 *
 * Arguments are key=value; the log format is shared by every driver
 * (load/clients/README.md). A producer reads "<id> <intended_s>" lines on
 * stdin at their send times; both roles stop at EOF on stdin.
 */
import com.rabbitmq.client.*;

import java.io.*;
import java.util.*;
import java.util.concurrent.*;

public final class MqsimClientJava {
    private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out), true);
    private static final Map<String, String> O = new HashMap<>();
    private static final String ROUTED_REDELIVERED = "x-mqsim-redelivered";

    static synchronized void log(String s) { OUT.println(s); }
    static double f(String k) { return Double.parseDouble(O.get(k)); }
    static int i(String k) { return Integer.parseInt(O.get(k)); }

    static ConnectionFactory factory() throws Exception {
        ConnectionFactory cf = new ConnectionFactory();
        cf.setUri(O.get("url"));
        cf.setRequestedHeartbeat((int) Math.round(f("heartbeat")));
        cf.setConnectionTimeout(3000);
        boolean auto = "auto".equals(O.get("recovery"));
        cf.setAutomaticRecoveryEnabled(auto);
        cf.setTopologyRecoveryEnabled(auto);
        cf.setNetworkRecoveryInterval((long) (f("interval") * 1000));
        Map<String, Object> props = new HashMap<>(cf.getClientProperties());
        props.put("connection_name", O.get("name"));
        cf.setClientProperties(props);
        return cf;
    }

    /* The connection's local port (names it for a server-side close). */
    static int localPort(Connection c) {
        if (c instanceof com.rabbitmq.client.impl.recovery.AutorecoveringConnection)
            return ((com.rabbitmq.client.impl.recovery.AutorecoveringConnection) c).getLocalPort();
        if (c instanceof com.rabbitmq.client.impl.AMQConnection)
            return ((com.rabbitmq.client.impl.AMQConnection) c).getLocalPort();
        return 0;
    }

    /* Report the connection's ups and downs (recovery included). */
    static void watch(Connection c) {
        c.addShutdownListener(cause -> log("DOWN " + cause.getMessage().replace('\n', ' ')));
        if (c instanceof Recoverable) {
            ((Recoverable) c).addRecoveryListener(new RecoveryListener() {
                public void handleRecovery(Recoverable r) { log("UP " + localPort((Connection) r)); }
                public void handleRecoveryStarted(Recoverable r) { }
            });
        }
        log("UP " + localPort(c));
    }

    static Double reconnectWait() {
        return "loop".equals(O.get("recovery")) ? f("interval") : null;
    }

    static final BlockingQueue<String> LINES = new LinkedBlockingQueue<>();
    static volatile boolean eof;

    static void readStdin() {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in))) {
                for (String l; (l = r.readLine()) != null; ) LINES.add(l);
            } catch (IOException e) { /* end of input */ }
            eof = true;
            LINES.add("");
        });
        t.setDaemon(true);
        t.start();
    }

    static final class Pend {
        final String id, body; int retries; double due;
        Pend(String id, String body, int retries) { this.id = id; this.body = body; this.retries = retries; }
    }

    static double now() { return System.nanoTime() * 1e-9; }

    static void producer() throws Exception {
        readStdin();
        ConnectionFactory cf = factory();
        boolean confirms = "1".equals(O.get("confirms"));
        Connection conn = null;
        Channel ch = null;
        double nextTry = now();
        List<Pend> q = new ArrayList<>();
        int held = -1;
        boolean first = true;
        while (!eof) {
            String l = LINES.poll(20, TimeUnit.MILLISECONDS);
            while (l != null) {
                if (!l.isEmpty()) q.add(new Pend(l.split(" ")[0], l, i("retries")));
                l = LINES.poll();
            }
            if (eof) break;
            if (conn != null && !conn.isOpen() && !(conn instanceof Recoverable)) {
                conn = null; /* closed without recovery */
                Double w = reconnectWait();
                nextTry = w != null ? now() + w : Double.POSITIVE_INFINITY;
            }
            if (conn == null && now() >= nextTry) {
                try {
                    conn = cf.newConnection();
                    ch = conn.createChannel();
                    if (confirms) ch.confirmSelect();
                    watch(conn);
                } catch (Exception e) {
                    if (first) log("DOWN first-connect");
                    conn = null;
                    Double w = reconnectWait();
                    nextTry = w != null ? now() + w : Double.POSITIVE_INFINITY;
                }
                first = false;
            }
            double t = now();
            List<Pend> keep = new ArrayList<>();
            for (Pend p : q) {
                if (p.due > t) { keep.add(p); continue; }
                boolean ok = false;
                if (conn != null && ch != null) {
                    try {
                        ch.basicPublish(O.getOrDefault("exchange", ""), O.get("queue"), MessageProperties.PERSISTENT_BASIC,
                                        p.body.getBytes("UTF-8"));
                        ok = !confirms || ch.waitForConfirms((long) (f("send_timeout") * 1000));
                    } catch (Exception e) {
                        ok = false; /* AlreadyClosedException, TimeoutException */
                    }
                }
                if (ok) { log("OK " + p.id); continue; }
                String mode = O.get("ondown");
                if ("buffer".equals(mode)) {
                    p.due = t + 0.1;
                    keep.add(p);
                } else if ("retry".equals(mode) && p.retries > 0) {
                    p.retries--;
                    p.due = t + f("backoff");
                    log("REPUB " + p.id);
                    keep.add(p);
                } else {
                    log("FAIL " + p.id);
                }
            }
            q = keep;
            if (q.size() != held) { held = q.size(); log("HELD " + held); }
        }
        log("HELD " + q.size());
        if (conn != null) try { conn.abort(); } catch (Exception e) { /* ignore */ }
        System.exit(0);
    }

    static void consumer() throws Exception {
        readStdin();
        ConnectionFactory cf = factory();
        boolean auto = "auto".equals(O.get("ack"));
        Random rng = new Random(Long.parseLong(O.getOrDefault("seed", "1")));
        double mean = f("proc_mean");
        boolean exp = "exp".equals(O.get("proc_kind"));
        while (!eof) {
            Connection conn = null;
            try {
                conn = cf.newConnection();
                Channel ch = conn.createChannel();
                ch.basicQos(i("prefetch"));
                /* the consumer the library's documentation shows: a
                 * DefaultConsumer whose handleDelivery runs on the
                 * connection's consumer work pool */
                ch.basicConsume(O.get("queue"), auto, new DefaultConsumer(ch) {
                    @Override
                    public void handleDelivery(String tag, Envelope env, AMQP.BasicProperties p, byte[] body)
                            throws IOException {
                        double s = exp ? -Math.log(1 - rng.nextDouble()) * mean : mean;
                        try { Thread.sleep((long) (s * 1000), (int) ((s * 1e9) % 1e6)); }
                        catch (InterruptedException e) { return; }
                        /* a conversion's read routing carries the flag in a header (load/change/lt_conv_router.c) */
                        boolean again = env.isRedeliver() || (p.getHeaders() != null &&
                                                              p.getHeaders().containsKey(ROUTED_REDELIVERED));
                        log("DLV " + new String(body, "UTF-8").split(" ")[0] + " " + (again ? 1 : 0));
                        if (!auto) getChannel().basicAck(env.getDeliveryTag(), false);
                    }
                });
                watch(conn);
            } catch (Exception e) {
                log("DOWN connect " + e);
                if (conn != null) try { conn.abort(); } catch (Exception x) { /* ignore */ }
                conn = null;
            }
            /* recovery=auto: the library brings it back; otherwise wait for
             * the close, then (loop) reconnect after the interval */
            while (!eof && (conn == null ? false : (conn.isOpen() || conn instanceof Recoverable)))
                Thread.sleep(50);
            if (eof) break;
            Double w = reconnectWait();
            if (w == null) { while (!eof) Thread.sleep(100); break; }
            Thread.sleep((long) (w * 1000));
        }
        System.exit(0);
    }

    public static void main(String[] args) throws Exception {
        for (String a : args) {
            int k = a.indexOf('=');
            if (k > 0) O.put(a.substring(0, k), a.substring(k + 1));
        }
        if ("producer".equals(O.get("role"))) producer();
        else if ("consumer".equals(O.get("role"))) consumer();
        else { log("ERR role must be producer or consumer"); System.exit(2); }
    }
}
