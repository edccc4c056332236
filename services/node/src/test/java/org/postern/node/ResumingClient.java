package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One STARTTLS session with {@code openssl s_client -sess_out} or {@code -sess_in}, the client an
 * operator checks resumption with: it waits for the handshake summary, sends EHLO (TLS 1.3 tickets
 * come with the server's first reply), optionally one mail, then QUIT.
 */
final class ResumingClient {

  /**
   * What a session showed.
   *
   * @param handshake the summary's first two words, e.g. {@code Reused, TLSv1.3}
   * @param queuedAs the server's reply to the final dot, or null when no mail was sent
   * @param output everything s_client printed
   */
  record Session(String handshake, String queuedAs, String output) {}

  /** One mail to send over the session: envelope and a message without the final dot. */
  record Mail(String from, String to, String message) {}

  private ResumingClient() {}

  static Session run(int port, String version, String sessionOption, Path sessionFile, Mail mail) throws Exception {
    // -nocommands: a line starting with R (RCPT) must reach the server, not renegotiate.
    Process p = new ProcessBuilder("openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:" + port,
        version, sessionOption, sessionFile.toString(), "-ign_eof", "-nocommands").redirectErrorStream(true).start();
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    StringBuilder all = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String l; (l = r.readLine()) != null; ) {
          lines.add(l);
        }
      } catch (IOException ignored) {
        // the process ended
      }
      lines.add("<EOF>");
    }, "s_client-resume");
    reader.setDaemon(true);
    reader.start();
    try {
      String summary = await(lines, all, l -> l.startsWith("New, ") || l.startsWith("Reused, "));
      OutputStream in = p.getOutputStream();
      send(in, "EHLO resume.test");
      // s_client prints the last line of the EHLO reply before STARTTLS late: this reply starts with 250-.
      await(lines, all, l -> l.startsWith("250-"));
      await(lines, all, l -> l.startsWith("250 "));
      String queuedAs = null;
      if (mail != null) {
        send(in, "MAIL FROM:<" + mail.from() + ">");
        await(lines, all, l -> l.startsWith("250 2.1.0"));
        send(in, "RCPT TO:<" + mail.to() + ">");
        await(lines, all, l -> l.startsWith("250 2.1.5"));
        send(in, "DATA");
        await(lines, all, l -> l.startsWith("354"));
        send(in, mail.message().replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n.");
        queuedAs = await(lines, all, l -> l.matches("[2-5]\\d\\d .*"));
      }
      send(in, "QUIT");
      await(lines, all, l -> l.startsWith("221"));
      in.close();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "s_client did not end: " + all);
      reader.join(TimeUnit.SECONDS.toMillis(30));
      for (String l; (l = lines.poll()) != null; ) {
        all.append(l).append('\n');
      }
      String[] words = summary.split(" ");
      return new Session(words[0] + " " + words[1].replace(",", ""), queuedAs, all.toString());
    } finally {
      p.destroyForcibly();
    }
  }

  private static void send(OutputStream in, String line) throws IOException {
    in.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    in.flush();
  }

  private static String await(BlockingQueue<String> lines, StringBuilder all, Predicate<String> wanted)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      long left = deadline - System.nanoTime();
      String l = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
      assertNotNull(l, "s_client did not print the expected line within 30 s: " + all);
      all.append(l).append('\n');
      if (l.equals("<EOF>")) {
        throw new AssertionError("s_client ended early: " + all);
      }
      if (wanted.test(l)) {
        return l;
      }
    }
  }
}
