package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postern.testkit.FreePorts;
import org.postern.testkit.SmtpSink;

/**
 * A Postfix operator's log tools on our log, unchanged: a real node relays real mail (swaks and
 * smtplib in, an aiosmtpd sink out) with its log in a file, and Debian's pflogsumm, given only
 * {@code --syslog-name=postern} (as for a Postfix instance with its own syslog_name), counts what
 * happened: received, delivered, deferred, bounced and rejected. And grep follows one message by
 * its ids from connect to delivery.
 */
class PflogsummIT {

  private static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir
  Path work;

  @Test
  void pflogsummCountsWhatTheNodeDid() throws Exception {
    Path log = work.resolve("postern.log");
    Path access = work.resolve("access");
    Files.writeString(access, "From:spammer.example REJECT\n");
    int port = FreePorts.loopback();
    Clients.Result one;
    try (SmtpSink sink = SmtpSink.start(SmtpSink.Options.starttls(true));
        NodeProcess node = NodeProcess.start(work, List.of(
            "inbound.listeners=127.0.0.1:" + port + " may",
            "outbound.transport=*=[127.0.0.1]:" + sink.port(),
            "node.hostname=mx.postern.test",
            "node.log=" + log,
            "policy.access_map=" + access,
            "queue.min_backoff=1h",
            "node.data_dir=" + work.resolve("data"),
            "queue.spool_dir=" + work.resolve("data/spool")))) {
      awaitInFile(log, "node started");

      // 1: swaks over STARTTLS, delivered.
      one = Clients.swaks("--to", "a@example.net", "--from", "swaks@example.org",
          "--server", "127.0.0.1:" + port, "--tls", "--helo", "swaks.test",
          "--body", "one");
      assertEquals(0, one.exitCode(), one.output());
      // 2: smtplib, two recipients, delivered.
      byte[] text = "Subject: two\r\n\r\ntwo\r\n".getBytes(StandardCharsets.US_ASCII);
      Clients.Result two = Clients.smtplib(work, port, "py@example.org", "b@example.net,c@example.net", text, true);
      assertTrue(two.output().contains("DATA 250"), two.output());
      // 3: a null sender to a recipient the sink refuses with 550: bounced, and no notice to send.
      Clients.Result three = Clients.smtplib(work, port, "", "reject1@example.net", text, false);
      assertTrue(three.output().contains("DATA 250"), three.output());
      // 4: the sink answers 451: deferred (retried in an hour, after the test).
      Clients.Result four = Clients.smtplib(work, port, "py@example.org", "defer1@example.net", text, false);
      assertTrue(four.output().contains("DATA 250"), four.output());
      // 5: refused at MAIL by the access map.
      Clients.Result five = Clients.smtplib(work, port, "x@spammer.example", "a@example.net", text, false);
      assertTrue(five.output().contains("MAIL 550"), five.output());

      awaitCount(log, "status=sent", 3);
      awaitCount(log, "status=bounced", 1);
      awaitCount(log, "status=deferred", 1);
      awaitCount(log, ": disconnect from ", 5);
    }

    String report = pflogsumm(log);
    assertEquals(4, total(report, "received"), report);
    assertEquals(3, total(report, "delivered"), report);
    assertEquals(1, total(report, "deferred"), report);
    assertEquals(1, total(report, "bounced"), report);
    assertEquals(1, total(report, "rejected"), report);

    // One message, followed by its two ids: the session's from connect to disconnect, the
    // queue id's from the client line to delivery.
    String all = Files.readString(log);
    Matcher client = Pattern.compile(" postern/smtpd\\[\\d+\\]: ([0-9A-F]{16}): client=unknown\\[127\\.0\\.0\\.1\\],"
        + " session=([0-9A-F]{16}), helo=<swaks\\.test>, from=<swaks@example\\.org>").matcher(all);
    assertTrue(client.find(), all);
    String queueId = client.group(1);
    String session = client.group(2);
    List<String> sessionLines = grep(all, session + ": ");
    assertTrue(sessionLines.get(0).contains(" postern/smtpd[") && sessionLines.get(0).endsWith(
        session + ": connect from unknown[127.0.0.1]"), String.join("\n", sessionLines));
    assertTrue(sessionLines.stream().anyMatch(l -> l.contains(session + ": STARTTLS=server, relay=[127.0.0.1], version=TLSv1.")),
        String.join("\n", sessionLines));
    assertTrue(sessionLines.get(sessionLines.size() - 1).endsWith(session + ": disconnect from unknown[127.0.0.1]"
        + " ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7"), String.join("\n", sessionLines));
    List<String> messageLines = grep(all, queueId + ": ");
    String joined = String.join("\n", messageLines);
    // In Postfix's order: smtpd's client line, cleanup's message-id, qmgr's from=, smtp's to=, removed.
    assertTrue(messageLines.get(0).contains(" postern/smtpd[") && messageLines.get(0).contains(queueId + ": client="),
        joined);
    assertTrue(messageLines.get(1).matches(".* postern/cleanup\\[\\d+\\]: " + queueId + ": message-id=<"
        + Pattern.quote(swaksMessageId(one.output())) + ">"), joined);
    assertTrue(messageLines.get(2).matches(".* postern/qmgr\\[\\d+\\]: " + queueId + ": from=<swaks@example\\.org>,"
        + " size=\\d+, nrcpt=1 \\(queue active\\)"), joined);
    assertTrue(messageLines.get(3).matches(".* postern/smtp\\[\\d+\\]: " + queueId + ": to=<a@example\\.net>, relay=\\S+,"
        + " delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\\.0\\.0, status=sent \\(250 .*\\),"
        + " tls=TLSv1\\.\\d/\\S+"), joined);
    assertTrue(messageLines.get(4).matches(".* postern/qmgr\\[\\d+\\]: " + queueId + ": removed"), joined);
  }

  /** The Message-ID that swaks wrote into the message, from its transcript. */
  private static String swaksMessageId(String transcript) {
    Matcher m = Pattern.compile("Message-Id: <([^>]+)>", Pattern.CASE_INSENSITIVE).matcher(transcript);
    assertTrue(m.find(), transcript);
    return m.group(1);
  }

  /** pflogsumm's "Grand Totals" figure for {@code what}, e.g. {@code   4   received}. */
  private static int total(String report, String what) {
    Matcher m = Pattern.compile("(?m)^\\s*(\\d+)\\s+" + what + "\\b").matcher(report);
    assertTrue(m.find(), "no '" + what + "' in pflogsumm's report:\n" + report);
    return Integer.parseInt(m.group(1));
  }

  private static String pflogsumm(Path log) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("pflogsumm", "--syslog-name=postern", log.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "pflogsumm did not finish");
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static List<String> grep(String all, String fragment) {
    return all.lines().filter(l -> l.contains(fragment)).toList();
  }

  static void awaitInFile(Path file, String fragment) throws IOException, InterruptedException {
    awaitCount(file, fragment, 1);
  }

  /** Polls the log file (with a deadline) until {@code fragment} appears on {@code n} lines. */
  static void awaitCount(Path file, String fragment, int n) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      String text = Files.exists(file) ? Files.readString(file) : "";
      long count = text.lines().filter(l -> l.contains(fragment)).count();
      if (count >= n) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(count + " of " + n + " lines with '" + fragment + "' within " + WAIT + ":\n" + text);
      }
      Thread.sleep(100);
    }
  }
}
