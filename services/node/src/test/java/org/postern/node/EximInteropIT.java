package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;

/**
 * Interop with Exim (Debian's exim4-daemon-light, run by {@code src/test/exim/exim-client}) as the
 * client of Postern's inbound, in plaintext. Exim pipelines the end of the message (the final dot,
 * or {@code BDAT n LAST}) with QUIT and then shuts down its sending side; it counts the message as
 * delivered only once it reads the 250 that answers the end of the message. A server that closes on
 * seeing the half-close without answering makes Exim defer a message it has in fact queued, and
 * Exim's retry then delivers it a second time.
 *
 * <p>Each case makes one delivery attempt, then one forced retry run (a no-op when the attempt
 * succeeded), waits for every copy Postern accepted to leave its queue, and only then checks: Exim
 * logged the delivery with Postern's 250, and the sink got the message exactly once.
 */
class EximInteropIT {

  private static final Path EXIM_CLIENT = NodeProcess.REPO.resolve("services/node/src/test/exim/exim-client");
  private static final String RCPT = "someone@example.net";

  @TempDir
  static Path work;

  static SmtpSink sink;
  static NodeProcess node;
  static int port;

  @BeforeAll
  static void startNodeAndSink() throws Exception {
    // Exim's delivery process runs as its own user (not root) and reads its configuration and
    // spool below this directory, which JUnit creates private to us.
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    sink = SmtpSink.start(SmtpSink.Options.defaults());
    port = FreePorts.loopback();
    node = NodeProcess.start(work, List.of(
        "inbound.listeners=127.0.0.1:" + port + " may",
        "outbound.transport=*=[127.0.0.1]:" + sink.port(),
        "node.hostname=mx.postern.test",
        "node.admin_listen=",
        "node.data_dir=" + work.resolve("data"),
        "queue.spool_dir=" + work.resolve("data/spool")));
    node.awaitLog("node started", Duration.ofSeconds(90));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (sink != null) {
      sink.close();
    }
  }

  /** Exim's default against Postern, which offers CHUNKING: {@code BDAT n LAST}, QUIT, shutdown. */
  @Test
  void eximWithBdatLastQuitAndHalfCloseSeesTheQueuedReplyAndDeliversOnce() throws Exception {
    deliverOnceThroughExim("bdat");
  }

  /** With CHUNKING not used: the final dot, QUIT, shutdown (the transcript). */
  @Test
  void eximWithDataDotQuitAndHalfCloseSeesTheQueuedReplyAndDeliversOnce() throws Exception {
    deliverOnceThroughExim("data");
  }

  private void deliverOnceThroughExim(String mode) throws Exception {
    Path dir = Files.createDirectory(work.resolve("exim-" + mode));
    String sender = mode + "@exim.test";
    String messageId = "exim-" + mode + "@exim.test";
    byte[] message = ("From: " + sender + "\nTo: " + RCPT + "\nSubject: Exim " + mode + " half-close\n"
        + "Message-ID: <" + messageId + ">\n\nsent by Exim\n").getBytes(StandardCharsets.US_ASCII);

    exim(null, Duration.ofSeconds(180), "init", dir.toString(), String.valueOf(port), mode);
    exim(message, Duration.ofSeconds(60), "send", dir.toString(), sender, RCPT);
    exim(null, Duration.ofSeconds(60), "retry", dir.toString());
    Path mainlog = dir.resolve("log/mainlog");
    String log = awaitFile(mainlog, "End queue run", Duration.ofSeconds(30));

    // Every copy Postern took (the ones Exim saw a 250 for, and the ones it logged accepting from
    // this sender even if Exim did not hear back) must have been delivered and removed before the
    // sink is counted.
    Set<String> queueIds = new LinkedHashSet<>();
    Matcher queued = Pattern.compile("C=\"250 2\\.0\\.0 Ok: queued as ([0-9A-F]{16})\"").matcher(log);
    while (queued.find()) {
      queueIds.add(queued.group(1));
    }
    Matcher accepted = Pattern.compile("postern/smtpd\\[\\d+\\]: ([0-9A-F]{16}): client=\\S+, session=\\S+, helo=<[^>]*>, from=<"
        + Pattern.quote(sender) + ">").matcher(node.log());
    while (accepted.find()) {
      queueIds.add(accepted.group(1));
    }
    for (String id : queueIds) {
      node.awaitLog(id + ": removed", Duration.ofSeconds(30));
    }
    long copies = sink.received().stream()
        .filter(m -> m.contentAsString().contains("Message-ID: <" + messageId + ">"))
        .count();

    String facts = "Postern queue ids " + queueIds + ", copies at the sink: " + copies + "; Exim's mainlog:\n" + log;
    String delivered = " => " + RCPT + " R=postern T=postern_smtp H=127.0.0.1 [127.0.0.1]:" + port
        + ("bdat".equals(mode) ? " K" : "") + " C=\"250 2.0.0 Ok: queued as ";
    assertTrue(!log.contains(" == " + RCPT), "Exim deferred the message: " + facts);
    assertTrue(firstAttempt(log).contains(delivered), "Exim's first attempt did not log " + delivered + ": " + facts);
    assertTrue(firstAttempt(log).contains(" Completed"), facts);
    assertEquals(1, copies, "the sink must get the message exactly once: " + facts);
  }

  /** The mainlog up to the forced retry run. */
  private static String firstAttempt(String log) {
    int retry = log.indexOf("Start queue run");
    return retry < 0 ? log : log.substring(0, retry);
  }

  /** Runs {@code exim-client ARGS}, with {@code stdin} as its input; fails unless it exits 0. */
  private static void exim(byte[] stdin, Duration timeout, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", EXIM_CLIENT.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin);
    }
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("exim-client " + String.join(" ", args) + " did not finish within " + timeout);
    }
    assertEquals(0, p.exitValue(),
        "exim-client " + String.join(" ", args) + ":\n" + new String(out, StandardCharsets.UTF_8));
  }

  /** The content of {@code file} once it contains {@code text}; fails with what it has if that does not come. */
  private static String awaitFile(Path file, String text, Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    String content = "";
    while (System.nanoTime() < deadline) {
      content = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
      if (content.contains(text)) {
        return content;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    throw new AssertionError(file + " has no \"" + text + "\" within " + timeout + ":\n" + content);
  }
}
