package org.postern.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private Postfix instance as a receiving MX on loopback: its own main.cf and master.cf,
 * queue and data directories under a temporary directory ({@code postfix -c DIR start}), smtpd on
 * one free 127.0.0.1 port only, STARTTLS with the given chain, accepting mail for the given
 * domains from anyone and discarding it once queued. Its log ({@code maillog_file}, TLS log level
 * 1) is what a test observes: the TLS handshake, the queue id, the discard. It leaves
 * /etc/postfix, the system's queue and port 25 alone.
 *
 * <p>Needs root (Postfix's master starts as root and drops to {@code postfix}). Blocking: test
 * threads only.
 */
public final class PostfixServer implements AutoCloseable {

  /**
   * One message Postfix took and discarded.
   *
   * @param queueId Postfix's queue id
   * @param tls the smtpd log line of that session's TLS handshake, or empty when it had none
   */
  public record Received(String queueId, Optional<String> tls) {}

  private static final Duration START = Duration.ofSeconds(30);
  private static final Pattern SMTPD = Pattern.compile(".* postfix/smtpd\\[(\\d+)\\]: (.*)");
  private static final Pattern QUEUED = Pattern.compile("([0-9A-F]+): client=.*");

  private final Path dir;
  private final int port;

  private PostfixServer(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /**
   * Starts Postfix with STARTTLS from {@code chain} (PEM, the certificate first) and {@code key}
   * (PEM), both copied in, accepting mail for {@code domains}; throws with the log's tail when it
   * does not come up.
   */
  public static PostfixServer start(Path chain, Path key, List<String> domains) {
    Path dir;
    try {
      // Postfix's daemons run as 'postfix' and must reach their queue below it.
      dir = Files.createTempDirectory("postern-postfix", PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rwxr-xr-x")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int port = FreePorts.loopback();
    PostfixServer server = new PostfixServer(dir, port);
    try {
      for (String d : List.of("etc", "spool", "data", "tls")) {
        Files.createDirectories(dir.resolve(d));
      }
      SignedDns.run(dir, "chown", "postfix:postfix", dir.resolve("data").toString());
      // smtpd reads its key as root before dropping privileges: 0600 root is enough.
      Files.copy(key, dir.resolve("tls/key.pem"));
      Files.copy(chain, dir.resolve("tls/chain.pem"));
      Files.writeString(dir.resolve("etc/main.cf"), mainCf(dir, domains));
      Files.writeString(dir.resolve("etc/master.cf"), masterCf(port));
      SignedDns.run(dir, "postfix", "-c", dir.resolve("etc").toString(), "start");
      server.awaitStarttls();
      // The probe's session is in the log before the test starts counting sessions.
      server.awaitLogged(l -> l.contains("postfix/smtpd[") && l.contains(": disconnect from "), 1, START);
      return server;
    } catch (IOException | RuntimeException e) {
      String tail = server.maillogTail();
      server.close();
      throw new IllegalStateException("cannot start a private Postfix (apt-get install postfix; needs root): "
          + e.getMessage() + "\n--- maillog (tail)\n" + tail, e);
    }
  }

  /** The smtpd port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Postfix's log so far, line by line (empty before postlogd wrote anything). */
  public List<String> maillog() {
    try {
      Path log = dir.resolve("maillog");
      return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Polls the log until {@code count} lines satisfy {@code line}, returns the last of them, or
   * throws with the log's tail after {@code wait}.
   */
  public String awaitLogged(Predicate<String> line, long count, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      List<String> hits = maillog().stream().filter(line).toList();
      if (hits.size() >= count) {
        return hits.get((int) count - 1);
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("Postfix did not log the expected line within " + wait + ":\n" + maillogTail());
      }
      pause();
    }
  }

  /**
   * Waits until Postfix has discarded a message for {@code recipient}, and says which queue id it
   * had and how its smtpd session's TLS handshake was logged.
   */
  public Received awaitDiscarded(String recipient, Duration wait) {
    String done = awaitLogged(l -> l.contains(" to=<" + recipient + ">") && l.contains("status=sent"), 1, wait);
    Matcher m = Pattern.compile(".*: ([0-9A-F]+): to=<.*").matcher(done);
    if (!m.matches()) {
      throw new AssertionError("no queue id in: " + done);
    }
    return new Received(m.group(1), Optional.ofNullable(sessionTls().get(m.group(1))));
  }

  /** Queue id to the TLS line of the smtpd session that queued it, for sessions that had TLS. */
  private Map<String, String> sessionTls() {
    Map<String, String> tlsByPid = new HashMap<>();
    Map<String, String> tlsByQueueId = new HashMap<>();
    for (String line : maillog()) {
      Matcher m = SMTPD.matcher(line);
      if (!m.matches()) {
        continue;
      }
      String pid = m.group(1);
      String text = m.group(2);
      if (text.startsWith("connect from ")) {
        tlsByPid.remove(pid);
      } else if (text.contains("TLS connection established from ")) {
        tlsByPid.put(pid, line);
      } else {
        Matcher q = QUEUED.matcher(text);
        if (q.matches() && tlsByPid.containsKey(pid)) {
          tlsByQueueId.put(q.group(1), tlsByPid.get(pid));
        }
      }
    }
    return tlsByQueueId;
  }

  /** How many messages smtpd has queued so far (its {@code client=} lines). */
  public long queued() {
    return maillog().stream().map(SMTPD::matcher).filter(Matcher::matches)
        .filter(m -> QUEUED.matcher(m.group(2)).matches()).count();
  }

  /** The last lines of Postfix's log, for failure messages. */
  public String maillogTail() {
    List<String> lines;
    try {
      lines = maillog();
    } catch (UncheckedIOException e) {
      return "(cannot read " + dir.resolve("maillog") + ")";
    }
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }

  /** {@code postfix stop}, {@code abort} when the master lingers, then removes the directory. */
  @Override
  public void close() {
    String etc = dir.resolve("etc").toString();
    if (masterPid().isPresent()) {
      tryRun("postfix", "-c", etc, "stop");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (masterAlive() && System.nanoTime() < deadline) {
        pause();
      }
      if (masterAlive()) {
        tryRun("postfix", "-c", etc, "abort");
      }
    }
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // A leftover temp directory is harmless.
    }
  }

  /**
   * Waits until smtpd answers STARTTLS with 220: a smtpd that cannot load its certificate or key
   * only warns, still offers STARTTLS, and answers it with 454.
   */
  private void awaitStarttls() throws IOException {
    long deadline = System.nanoTime() + START.toNanos();
    while (System.nanoTime() < deadline) {
      if (masterAlive()) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
          s.setSoTimeout((int) START.toMillis());
          BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
          OutputStream out = s.getOutputStream();
          reply(in);
          out.write("EHLO testkit.invalid\r\n".getBytes(StandardCharsets.US_ASCII));
          reply(in);
          out.write("STARTTLS\r\n".getBytes(StandardCharsets.US_ASCII));
          String starttls = reply(in);
          if (!starttls.startsWith("220 ")) {
            throw new IllegalStateException("Postfix refuses STARTTLS (certificate or key unusable?): " + starttls);
          }
          return;
        } catch (ConnectException e) {
          // Not listening yet.
        }
      }
      pause();
    }
    throw new IllegalStateException("Postfix's master is not listening on 127.0.0.1:" + port + " within " + START);
  }

  /** One SMTP reply, its lines joined. */
  private static String reply(BufferedReader in) throws IOException {
    StringBuilder sb = new StringBuilder();
    String line;
    do {
      line = in.readLine();
      if (line == null) {
        throw new IOException("Postfix closed the connection after: " + sb);
      }
      sb.append(line).append(' ');
    } while (line.length() > 3 && line.charAt(3) == '-');
    return sb.toString();
  }

  private Optional<Long> masterPid() {
    try {
      Path pid = dir.resolve("spool/pid/master.pid");
      return Files.exists(pid) ? Optional.of(Long.parseLong(Files.readString(pid).strip())) : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private boolean masterAlive() {
    return masterPid().flatMap(ProcessHandle::of).map(ProcessHandle::isAlive).orElse(false);
  }

  private static String mainCf(Path dir, List<String> domains) {
    return "# Written by the test kit's PostfixServer for a private, temporary instance.\n"
        + "compatibility_level = 3.6\n"
        + "queue_directory = " + dir.resolve("spool") + "\n"
        + "data_directory = " + dir.resolve("data") + "\n"
        + "mail_owner = postfix\nsetgid_group = postdrop\n"
        + "myhostname = postfix-mx.testkit.invalid\nmydomain = testkit.invalid\n"
        + "inet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n"
        + "mydestination =\nlocal_recipient_maps =\nalias_maps =\nalias_database =\n"
        // Mail for the test's domains from anyone (as an MX takes it), relaying for nobody.
        + "mynetworks =\n"
        + "relay_domains = " + String.join(", ", domains) + "\n"
        + "relay_recipient_maps =\n"
        + "relay_transport = discard:\ndefault_transport = discard:\n"
        + "smtpd_relay_restrictions = reject_unauth_destination\n"
        + "smtpd_peername_lookup = no\n"
        + "smtpd_tls_security_level = may\n"
        + "smtpd_tls_chain_files = " + dir.resolve("tls/key.pem") + ", " + dir.resolve("tls/chain.pem") + "\n"
        + "smtpd_tls_loglevel = 1\n"
        + "maillog_file_prefixes = " + dir + "/\n"
        + "maillog_file = " + dir.resolve("maillog") + "\n";
  }

  private static String masterCf(int port) {
    return "# service type  private unpriv  chroot  wakeup  maxproc command\n"
        + "127.0.0.1:" + port + " inet n - n - - smtpd\n"
        + "cleanup   unix  n - n - 0 cleanup\n"
        + "qmgr      unix  n - n 300 1 qmgr\n"
        + "tlsmgr    unix  - - n 1000? 1 tlsmgr\n"
        + "rewrite   unix  - - n - - trivial-rewrite\n"
        + "bounce    unix  - - n - 0 bounce\n"
        + "defer     unix  - - n - 0 bounce\n"
        + "trace     unix  - - n - 0 bounce\n"
        + "verify    unix  - - n - 1 verify\n"
        + "proxymap  unix  - - n - - proxymap\n"
        + "showq     unix  n - n - - showq\n"
        + "error     unix  - - n - - error\n"
        + "retry     unix  - - n - - error\n"
        + "discard   unix  - - n - - discard\n"
        + "anvil     unix  - - n - 1 anvil\n"
        + "scache    unix  - - n - 1 scache\n"
        + "postlog   unix-dgram n - n - 1 postlogd\n";
  }

  private void tryRun(String... command) {
    try {
      SignedDns.run(dir, command);
    } catch (IOException | RuntimeException e) {
      // Stopping is best effort; abort follows a stop that did not work.
    }
  }

  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
