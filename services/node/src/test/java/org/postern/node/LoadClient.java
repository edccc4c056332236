package org.postern.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain SMTP client load for crash tests: several threads, each sending messages one after
 * another, each message carrying its own checksum so that a half-written delivery is detectable.
 * It records exactly which messages the server acknowledged with 250.
 */
final class LoadClient {

  final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  final AtomicInteger attempted = new AtomicInteger();
  private final java.util.concurrent.CountDownLatch milestone;
  private final String prefix;
  private final int port;
  private final int total;
  private final ExecutorService pool;
  /** Every n-th message goes to {@link #DEFERRED}; 0 for none. */
  private final int deferEvery;
  /** The recipient of the messages a test routes to a next hop that is down. */
  static final String DEFERRED = "late@deferred.test";

  /**
   * @param milestone acknowledgements after which {@link #awaitMilestone} returns
   */
  LoadClient(int port, int total, int threads, int milestone) {
    this(port, total, threads, milestone, "crash-");
  }

  /** As above, with message ids that begin with {@code prefix} (one per load, when there are several). */
  LoadClient(int port, int total, int threads, int milestone, String prefix) {
    this(port, total, threads, milestone, prefix, 0);
  }

  /** As above, with every {@code deferEvery}-th message addressed to {@link #DEFERRED} (0: none). */
  LoadClient(int port, int total, int threads, int milestone, String prefix, int deferEvery) {
    this.deferEvery = deferEvery;
    this.prefix = prefix;
    this.port = port;
    this.total = total;
    this.milestone = new java.util.concurrent.CountDownLatch(milestone);
    this.pool = Executors.newFixedThreadPool(threads);
    for (int t = 0; t < threads; t++) {
      pool.submit(this::loop);
    }
    pool.shutdown();
  }

  private void loop() {
    Random random = new Random();
    int n;
    while ((n = attempted.incrementAndGet()) <= total) {
      String id = prefix + n + "@postern.test";
      try {
        if (send(id, body(random), deferEvery > 0 && n % deferEvery == 0 ? DEFERRED : "sink@example.net")) {
          acknowledged.add(id);
          milestone.countDown();
        }
      } catch (IOException e) {
        return; // the node died: this thread's load ends
      }
    }
  }

  boolean awaitMilestone(long seconds) throws InterruptedException {
    return milestone.await(seconds, TimeUnit.SECONDS);
  }

  boolean awaitEnd(long seconds) throws InterruptedException {
    return pool.awaitTermination(seconds, TimeUnit.SECONDS);
  }

  static String body(Random random) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      sb.append(Long.toHexString(random.nextLong())).append(" line ").append(i).append("\r\n");
    }
    return sb.toString();
  }

  static String checksum(String body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.US_ASCII)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private boolean send(String messageId, String body, String recipient) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      expect(in, "220");
      command(out, in, "EHLO load.test", "250");
      command(out, in, "MAIL FROM:<load@postern.test>", "250");
      command(out, in, "RCPT TO:<" + recipient + ">", "250");
      command(out, in, "DATA", "354");
      String message = "Message-ID: <" + messageId + ">\r\nX-Checksum: " + checksum(body) + "\r\nSubject: crash\r\n\r\n"
          + body + ".\r\n";
      out.write(message.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      boolean ok = expect(in, "250");
      out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
      return ok;
    }
  }

  private static void command(OutputStream out, BufferedReader in, String line, String code) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    if (!expect(in, code)) {
      throw new IOException("unexpected reply to " + line);
    }
  }

  /** Reads one (multi-line) reply; true when it has the expected code. */
  private static boolean expect(BufferedReader in, String code) throws IOException {
    String line;
    do {
      line = in.readLine();
      if (line == null) {
        throw new IOException("connection closed");
      }
    } while (line.length() > 3 && line.charAt(3) == '-');
    return line.startsWith(code);
  }
}
