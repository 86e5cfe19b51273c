// mqsim-client-go - the real amqp091-go (github.com/rabbitmq/amqp091-go)
// client as one member of a scenario's producer or consumer group, for
// `mqsim load --clients real` (load/lt_real.c starts it and reads its log).
//
// Why a driver in Go: the go-amqp091 profile claims to behave like this
// library, and only the library itself can prove it (heartbeat timers,
// what happens to buffered deliveries, confirms). The application around
// the library is the one the profile assumes: amqp091-go has no automatic
// recovery, so the driver reconnects only when told to (recovery=loop, a
// hand-written loop with a fixed interval) and otherwise stays down.
//
// Arguments are key=value (see load/lt_real.c). The log is one line per
// fact on stdout, the format every driver shares (load/clients/README.md):
//   UP <local-port> | DOWN <why> | OK <id> | FAIL <id> | REPUB <id>
//   | HELD <n> | DLV <id> <redelivered 0/1> | ERR <text>
// A producer reads "<id> <intended_s>" lines on stdin, each at its send
// time, and stops at EOF; a consumer stops at EOF on stdin.
package main

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

var out = bufio.NewWriter(os.Stdout)
var outMu sync.Mutex

func logf(format string, a ...interface{}) {
	outMu.Lock()
	fmt.Fprintf(out, format+"\n", a...)
	out.Flush()
	outMu.Unlock()
}

type opts map[string]string

func (o opts) f(k string) float64 { v, _ := strconv.ParseFloat(o[k], 64); return v }
func (o opts) i(k string) int     { v, _ := strconv.Atoi(o[k]); return v }
func (o opts) dur(k string) time.Duration {
	return time.Duration(o.f(k) * float64(time.Second))
}

func dial(o opts) (*amqp.Connection, error) {
	props := amqp.Table{"connection_name": o["name"]}
	return amqp.DialConfig(o["url"], amqp.Config{Heartbeat: o.dur("heartbeat"), Properties: props,
		Locale: "en_US", Dial: amqp.DefaultDial(3 * time.Second)})
}

func localPort(c *amqp.Connection) string {
	a := c.LocalAddr().String()
	return a[strings.LastIndex(a, ":")+1:]
}

// stdinLines feeds stdin's lines to ch and closes it at EOF.
func stdinLines(ch chan string) {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		ch <- sc.Text()
	}
	close(ch)
}

// waitReconnect: how long until the next connection attempt, or false
// when the profile assumes nobody reconnects.
func waitReconnect(o opts) (time.Duration, bool) {
	if o["recovery"] != "loop" {
		return 0, false
	}
	return o.dur("interval"), true
}

type pend struct {
	id, body string
	retries int
	due     time.Time
}

func producer(o opts) {
	lines := make(chan string, 1<<16)
	go stdinLines(lines)
	var conn *amqp.Connection
	var ch *amqp.Channel
	var closed chan *amqp.Error
	nextTry := time.Now()
	down := func(why string) {
		if conn != nil {
			conn.Close()
		}
		conn, ch = nil, nil
		logf("DOWN %s", why)
		if w, ok := waitReconnect(o); ok {
			nextTry = time.Now().Add(w)
		} else {
			nextTry = time.Now().Add(1000000 * time.Hour)
		}
	}
	connect := func() bool {
		c, err := dial(o)
		if err != nil {
			return false
		}
		chn, err := c.Channel()
		if err == nil && o["confirms"] == "1" {
			err = chn.Confirm(false)
		}
		if err != nil {
			c.Close()
			return false
		}
		conn, ch = c, chn
		closed = c.NotifyClose(make(chan *amqp.Error, 1))
		logf("UP %s", localPort(c))
		return true
	}
	if !connect() {
		logf("DOWN first-connect")
		if w, ok := waitReconnect(o); ok {
			nextTry = time.Now().Add(w)
		} else {
			nextTry = time.Now().Add(1000000 * time.Hour)
		}
	}
	var q []pend
	eof := false
	held := -1
	for !eof || len(q) > 0 {
		// take the sends that are due
		select {
		case l, ok := <-lines:
			if !ok {
				eof = true
				break
			}
			for more := true; more; {
				if f := strings.Fields(l); len(f) > 0 {
					q = append(q, pend{id: f[0], body: l, retries: o.i("retries"), due: time.Now()})
				}
				select {
				case l, more = <-lines:
					if !more {
						eof = true
					}
				default:
					more = false
				}
			}
		case <-time.After(20 * time.Millisecond):
		}
		if eof {
			break // the run is over: what is still held counts as held
		}
		if conn != nil {
			select {
			case e := <-closed:
				down(fmt.Sprintf("closed %v", e))
			default:
			}
		}
		if conn == nil && time.Now().After(nextTry) {
			if !connect() {
				if w, ok := waitReconnect(o); ok {
					nextTry = time.Now().Add(w)
				}
			}
		}
		now := time.Now()
		var keep []pend
		for _, p := range q {
			if p.due.After(now) {
				keep = append(keep, p)
				continue
			}
			if conn != nil && publish(o, ch, p.body) {
				logf("OK %s", p.id)
				continue
			}
			// a confirm that timed out is a failed send, not a lost
			// connection: the library tells that (NotifyClose, IsClosed)
			if conn != nil && conn.IsClosed() {
				down("publish failed")
			}
			switch o["ondown"] {
			case "buffer":
				p.due = nextTry
				keep = append(keep, p)
			case "retry":
				if p.retries > 0 {
					p.retries--
					p.due = now.Add(o.dur("backoff"))
					logf("REPUB %s", p.id)
					keep = append(keep, p)
				} else {
					logf("FAIL %s", p.id)
				}
			default:
				logf("FAIL %s", p.id)
			}
		}
		q = keep
		if len(q) != held {
			held = len(q)
			logf("HELD %d", held)
		}
	}
	logf("HELD %d", len(q))
	if conn != nil {
		conn.Close()
	}
}

// publish one message; with confirms, wait for the broker's ack up to
// send_timeout (DeferredConfirmation.Wait has no timeout of its own).
func publish(o opts, ch *amqp.Channel, body string) bool {
	msg := amqp.Publishing{DeliveryMode: amqp.Persistent, Body: []byte(body)}
	if o["confirms"] != "1" {
		return ch.Publish(o["exchange"], o["queue"], false, false, msg) == nil
	}
	dc, err := ch.PublishWithDeferredConfirm(o["exchange"], o["queue"], false, false, msg)
	if err != nil || dc == nil {
		return false
	}
	res := make(chan bool, 1)
	go func() { res <- dc.Wait() }()
	select {
	case ok := <-res:
		return ok
	case <-time.After(o.dur("send_timeout")):
		return false
	}
}

func consumer(o opts) {
	stop := make(chan struct{})
	go func() {
		lines := make(chan string, 16)
		go stdinLines(lines)
		for range lines {
		}
		close(stop)
	}()
	rng := rand.New(rand.NewSource(int64(o.i("seed"))))
	for {
		select {
		case <-stop:
			return
		default:
		}
		conn, err := dial(o)
		var dl <-chan amqp.Delivery
		if err == nil {
			var ch *amqp.Channel
			ch, err = conn.Channel()
			if err == nil {
				err = ch.Qos(o.i("prefetch"), 0, false)
			}
			if err == nil {
				dl, err = ch.Consume(o["queue"], "", o["ack"] == "auto", false, false, false, nil)
			}
			if err != nil {
				conn.Close()
			}
		}
		if err != nil {
			logf("DOWN connect: %v", err)
		} else {
			logf("UP %s", localPort(conn))
			// the consume loop amqp091-go's documentation shows: range over
			// the deliveries until the library closes the channel
			for d := range dl {
				proc(o, rng)
				// a conversion's read routing carries the flag in a header (load/change/lt_conv_router.c)
				_, routedAgain := d.Headers["x-mqsim-redelivered"]
				logf("DLV %s %d", strings.Fields(string(d.Body))[0], b2i(d.Redelivered || routedAgain))
				if o["ack"] != "auto" {
					d.Ack(false)
				}
			}
			conn.Close()
			logf("DOWN closed")
		}
		w, ok := waitReconnect(o)
		if !ok {
			<-stop
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(w):
		}
	}
}

func proc(o opts, rng *rand.Rand) {
	m := o.f("proc_mean")
	if o["proc_kind"] == "exp" {
		m = rng.ExpFloat64() * m
	}
	time.Sleep(time.Duration(m * float64(time.Second)))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func main() {
	o := opts{}
	for _, a := range os.Args[1:] {
		if k := strings.IndexByte(a, '='); k > 0 {
			o[a[:k]] = a[k+1:]
		}
	}
	switch o["role"] {
	case "producer":
		producer(o)
	case "consumer":
		consumer(o)
	default:
		logf("ERR role must be producer or consumer")
		os.Exit(2)
	}
}
