package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;

/**
 * SIGTERM stops the node gracefully: it stops listening, answers 421 4.3.2, finishes the
 * transactions past end of DATA, lets the deliveries in flight record their outcome, and exits 0.
 * A real node, a next hop that holds its 250 until the stop has begun, sessions at every stage;
 * then a restart on the same spool must deliver every acknowledged message exactly once.
 */
class GracefulStopIT {

  @TempDir
  Path work;

  private List<String> sets(int port, GatedSink sink) {
    return List.of(
        "inbound.listeners=127.0.0.1:" + port + " none",
        "outbound.transport=*=[127.0.0.1]:" + sink.port(),
        "node.hostname=mx.postern.test",
        "node.data_dir=" + work.resolve("data"),
        "node.admin_listen=127.0.0.1:" + FreePorts.loopback(),
        "queue.spool_dir=" + work.resolve("data/spool"),
        "queue.min_backoff=1s");
  }

  @Test
  void sigtermFinishesWhatIsUnderWayAndExitsZero() throws Exception {
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    List<String> unanswered = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (GatedSink sink = new GatedSink(false)) {
      int port = FreePorts.loopback();
      try (NodeProcess node = NodeProcess.start(work, sets(port, sink))) {
        node.awaitLog("node started", Duration.ofSeconds(60));
        // Deliveries in flight: the next hop has the messages and holds its 250.
        for (int i = 0; i < 5; i++) {
          String id = "held-" + i + "@postern.test";
          assertEquals("250", Session.open(port).send(id), "message " + id);
          acknowledged.add(id);
        }
        assertTrue(sink.awaitWaiting(5, 30), "five deliveries wait for the next hop's 250");
        // Sessions between commands, and one in the middle of a message's text.
        List<Session> idle = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          idle.add(Session.open(port));
        }
        Session midData = Session.open(port);
        midData.startData("cut@postern.test");
        // And a load: sessions that send one message after another, some past end of DATA at the stop.
        AtomicBoolean loading = new AtomicBoolean(true);
        AtomicInteger n = new AtomicInteger();
        ExecutorService load = Executors.newFixedThreadPool(16);
        for (int t = 0; t < 16; t++) {
          load.submit(() -> {
            while (loading.get()) {
              String id = "load-" + n.incrementAndGet() + "@postern.test";
              Session s;
              try {
                s = Session.open(port);
              } catch (IOException e) {
                return; // the listener is closed: the stop has begun
              }
              String reply = s.sendQuietly(id);
              if (reply.equals("250")) {
                acknowledged.add(id);
              } else if (reply.equals("none")) {
                unanswered.add(id);
              }
            }
          });
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (acknowledged.size() < 60 && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(10);
        }
        assertTrue(acknowledged.size() >= 60, "the load runs: " + acknowledged.size());

        node.signal("TERM");
        // The next hop answers only once the stop has begun: those 250s come during the stop.
        node.findLog("stopping", Duration.ofSeconds(10));
        sink.open();
        for (Session s : idle) {
          assertTrue(s.readReply().startsWith("421 4.3.2 "), "an idle session is told the service is shutting down");
        }
        String cut = midData.readReply();
        assertTrue(cut.startsWith("421 4.3.2 "), "a message half sent is not acknowledged: " + cut);
        assertEquals(0, node.awaitExit(Duration.ofSeconds(30)), "exit status after SIGTERM; log:\n" + node.log());
        loading.set(false);
        load.shutdown();
        assertTrue(load.awaitTermination(30, TimeUnit.SECONDS));
        assertTrue(unanswered.isEmpty(), "sessions that sent the final dot and got no reply: " + unanswered);
        String waited = node.awaitLog("stopping: waited \\d+ ms for \\d+ open session\\(s\\) and \\d+ delivery attempt",
            Duration.ofSeconds(1));
        System.err.println("SIGTERM after " + acknowledged.size() + " acknowledged: " + waited);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("and (\\d+) delivery attempt").matcher(waited);
        assertTrue(m.find() && Integer.parseInt(m.group(1)) >= 5, "it waited for the deliveries held at the next hop: "
            + waited);
      }
      Map<String, Integer> beforeRestart = Map.copyOf(sink.delivered);
      try (NodeProcess again = NodeProcess.start(work, sets(port, sink))) {
        again.awaitLog("node started", Duration.ofSeconds(60));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!sink.delivered.keySet().containsAll(acknowledged) && System.nanoTime() < deadline) {
          TimeUnit.MILLISECONDS.sleep(20);
        }
        Set<String> missing = new java.util.TreeSet<>(acknowledged);
        missing.removeAll(sink.delivered.keySet());
        assertTrue(missing.isEmpty(), "acknowledged but never delivered: " + missing);
        List<String> twice = sink.delivered.entrySet().stream().filter(e -> e.getValue() > 1)
            .map(e -> e.getKey() + " (" + (beforeRestart.containsKey(e.getKey()) ? "delivered before the stop" : "after")
                + ")").toList();
        assertTrue(twice.isEmpty(), "delivered more than once: " + twice);
        assertTrue(!sink.delivered.containsKey("cut@postern.test"), "the half-sent message was not delivered");
      }
    }
  }

  /** One plain SMTP session to the node. */
  static final class Session {
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    private Session(Socket socket) throws IOException {
      this.socket = socket;
      socket.setSoTimeout(30_000);
      this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      this.out = socket.getOutputStream();
    }

    /** Connects, reads the greeting and says EHLO. */
    static Session open(int port) throws IOException {
      Session s = new Session(new Socket("127.0.0.1", port));
      s.expect("220");
      s.command("EHLO client.test", "250");
      return s;
    }

    void startData(String messageId) throws IOException {
      command("MAIL FROM:<load@postern.test>", "250");
      command("RCPT TO:<sink@example.net>", "250");
      command("DATA", "354");
      write("Message-ID: <" + messageId + ">\r\nSubject: graceful\r\n\r\nhalf of");
    }

    /** Sends one message and returns the code of the reply to its final dot. */
    String send(String messageId) throws IOException {
      try (socket) {
        startData(messageId);
        write(" a body\r\n.\r\n");
        String reply = readReply();
        write("QUIT\r\n");
        return reply.substring(0, 3);
      }
    }

    /**
     * As {@link #send}, but a session the stop ends early is no error: "421" or another code for a
     * reply, "none" only when the final dot got no reply at all, "" when the stop came before it.
     */
    String sendQuietly(String messageId) {
      boolean dotSent = false;
      try (socket) {
        command("MAIL FROM:<load@postern.test>", "250");
        command("RCPT TO:<sink@example.net>", "250");
        command("DATA", "354");
        write("Message-ID: <" + messageId + ">\r\nSubject: graceful\r\n\r\na body\r\n.\r\n");
        dotSent = true;
        String reply = readReply();
        return reply.substring(0, 3);
      } catch (IOException e) {
        return dotSent ? "none" : "";
      }
    }

    String readReply() throws IOException {
      String line;
      do {
        line = in.readLine();
        if (line == null) {
          throw new IOException("connection closed without a reply");
        }
      } while (line.length() > 3 && line.charAt(3) == '-');
      return line;
    }

    private void expect(String code) throws IOException {
      String reply = readReply();
      if (!reply.startsWith(code)) {
        throw new IOException("expected " + code + ", got " + reply);
      }
    }

    private void command(String line, String code) throws IOException {
      write(line + "\r\n");
      expect(code);
    }

    private void write(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
  }
}
