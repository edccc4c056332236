package org.postern.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A next hop whose answer to the end of DATA waits behind a gate, so that a test can hold
 * deliveries in flight (a slow peer) and let them finish at a moment of its choosing. A message
 * counts as delivered when the sink says 250 for it, whether or not the sender is still there to
 * read it: a real MTA would have taken it, and sending it again is a duplicate.
 */
final class GatedSink implements AutoCloseable {

  private static final Pattern ID = Pattern.compile("(?i)^Message-ID: <([^>]+)>");

  private final ServerSocket server;
  private final CountDownLatch gate;
  /** Message-ID to how many times it was acknowledged. */
  final Map<String, Integer> delivered = new ConcurrentHashMap<>();
  /** Messages whose final dot arrived and which wait behind the gate. */
  final AtomicInteger waiting = new AtomicInteger();

  GatedSink(boolean open) throws IOException {
    server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    gate = new CountDownLatch(open ? 0 : 1);
    Thread acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          Thread t = new Thread(() -> serve(s), "gated-sink-session");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "gated-sink");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  void open() {
    gate.countDown();
  }

  /** Waits until {@code n} messages wait behind the gate. */
  boolean awaitWaiting(int n, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (waiting.get() < n) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(20); // a poll with a deadline: the count is set by other threads
    }
    return true;
  }

  private void serve(Socket s) {
    try (s) {
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      write(out, "220 sink.test ESMTP");
      for (String line; (line = in.readLine()) != null; ) {
        String verb = line.length() < 4 ? line.toUpperCase() : line.substring(0, 4).toUpperCase();
        switch (verb) {
          case "DATA" -> {
            write(out, "354 go ahead");
            String id = null;
            for (String body; (body = in.readLine()) != null && !body.equals("."); ) {
              Matcher m = ID.matcher(body);
              if (id == null && m.find()) {
                id = m.group(1);
              }
            }
            waiting.incrementAndGet();
            gate.await();
            delivered.merge(String.valueOf(id), 1, Integer::sum);
            write(out, "250 2.0.0 ok");
          }
          case "QUIT" -> {
            write(out, "221 2.0.0 bye");
            return;
          }
          default -> write(out, "250 ok");
        }
      }
    } catch (IOException | InterruptedException e) {
      // The sender went away; what it was told is already counted.
    }
  }

  private static void write(OutputStream out, String line) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
