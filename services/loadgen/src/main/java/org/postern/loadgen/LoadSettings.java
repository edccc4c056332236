package org.postern.loadgen;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * What one run does. Fluent setters; {@link #validate()} checks the whole before a run starts.
 *
 * <p>How much work a run has:
 *
 * <ul>
 *   <li>{@code messages > 0}: that many messages in total, {@code perSession} per session (by
 *       default spread evenly over {@code sessions}), at most {@code sessions} sessions open at once;
 *   <li>{@code messages == 0}: {@code connections} sessions in total (default {@code sessions}),
 *       each set up (greeting, EHLO, STARTTLS) and closed with QUIT: a handshake-rate run;
 *   <li>{@code hold}: exactly {@code sessions} sessions, each kept open and idle after its set-up
 *       (and its messages, if any) until the run ends.
 * </ul>
 *
 * Every run ends at {@code duration} at the latest.
 */
public final class LoadSettings {

  /** Upper bounds that keep a typo from becoming an unbounded run. */
  static final int MAX_SESSIONS = 200_000;
  static final Duration MAX_DURATION = Duration.ofHours(1);

  private InetSocketAddress target;
  private int sessions = 10;
  private long messages = 100;
  private int size = 4096;
  private int starttlsPercent = 0;
  private double rate = 0;
  private Duration duration = Duration.ofSeconds(60);
  private Duration warmup = Duration.ZERO;
  private int perSession = 0;
  private long connections = 0;
  private boolean hold;
  private List<InetAddress> sources = List.of();
  private String mailFrom = "loadgen@loadgen.invalid";
  private String rcptTo = "sink@sink.invalid";
  private String ehloName = "loadgen.invalid";
  private Duration replyTimeout = Duration.ofSeconds(60);
  private Duration connectTimeout = Duration.ofSeconds(10);
  private int maxOpening = 256;
  private String tlsEngine = "openssl";
  private boolean tlsResume;
  private int eventLoops = Runtime.getRuntime().availableProcessors();

  public LoadSettings target(InetSocketAddress v) {
    target = v;
    return this;
  }

  public LoadSettings sessions(int v) {
    sessions = v;
    return this;
  }

  public LoadSettings messages(long v) {
    messages = v;
    return this;
  }

  public LoadSettings size(int v) {
    size = v;
    return this;
  }

  /** 0 (never) to 100 (always): the share of sessions that use STARTTLS. */
  public LoadSettings starttlsPercent(int v) {
    starttlsPercent = v;
    return this;
  }

  /** New messages per second, all sessions together (new sessions per second with no messages); 0: no cap. */
  public LoadSettings rate(double v) {
    rate = v;
    return this;
  }

  public LoadSettings duration(Duration v) {
    duration = v;
    return this;
  }

  /**
   * The first part of the run that rates and latency percentiles leave out (JIT compilation,
   * connection ramp); its messages still count as sent.
   */
  public LoadSettings warmup(Duration v) {
    warmup = v;
    return this;
  }

  public Duration warmup() {
    return warmup;
  }

  /** Messages per session; 0: messages / sessions, rounded up. */
  public LoadSettings perSession(int v) {
    perSession = v;
    return this;
  }

  /** With no messages: sessions to open in total; 0: {@code sessions}. */
  public LoadSettings connections(long v) {
    connections = v;
    return this;
  }

  public LoadSettings hold(boolean v) {
    hold = v;
    return this;
  }

  /** Local addresses to connect from, in turn (each must be loopback); empty: the kernel's choice. */
  public LoadSettings sources(List<InetAddress> v) {
    sources = List.copyOf(v);
    return this;
  }

  public LoadSettings mailFrom(String v) {
    mailFrom = v;
    return this;
  }

  public LoadSettings rcptTo(String v) {
    rcptTo = v;
    return this;
  }

  public LoadSettings ehloName(String v) {
    ehloName = v;
    return this;
  }

  public LoadSettings replyTimeout(Duration v) {
    replyTimeout = v;
    return this;
  }

  public LoadSettings connectTimeout(Duration v) {
    connectTimeout = v;
    return this;
  }

  /** Sessions allowed in set-up (connect to end of STARTTLS and EHLO) at once, which paces a ramp. */
  public LoadSettings maxOpening(int v) {
    maxOpening = v;
    return this;
  }

  /** {@code openssl} or {@code jdk}: the client's TLS engine. */
  public LoadSettings tlsEngine(String v) {
    tlsEngine = v;
    return this;
  }

  /** Allow TLS session resumption (off by default: every handshake is a full one). */
  public LoadSettings tlsResume(boolean v) {
    tlsResume = v;
    return this;
  }

  public LoadSettings eventLoops(int v) {
    eventLoops = v;
    return this;
  }

  public InetSocketAddress target() {
    return target;
  }

  public int sessions() {
    return sessions;
  }

  public long messages() {
    return messages;
  }

  public int size() {
    return size;
  }

  public int starttlsPercent() {
    return starttlsPercent;
  }

  public double rate() {
    return rate;
  }

  public Duration duration() {
    return duration;
  }

  /** Messages per session as the run uses it. */
  public int effectivePerSession() {
    if (perSession > 0) {
      return perSession;
    }
    if (messages == 0) {
      return 0;
    }
    return (int) Math.min(Integer.MAX_VALUE, (messages + sessions - 1) / sessions);
  }

  /** Sessions to open in a run without messages. */
  public long effectiveConnections() {
    return connections > 0 ? connections : sessions;
  }

  public long connections() {
    return connections;
  }

  public boolean hold() {
    return hold;
  }

  public List<InetAddress> sources() {
    return sources;
  }

  public String mailFrom() {
    return mailFrom;
  }

  public String rcptTo() {
    return rcptTo;
  }

  public String ehloName() {
    return ehloName;
  }

  public Duration replyTimeout() {
    return replyTimeout;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public int maxOpening() {
    return maxOpening;
  }

  public String tlsEngine() {
    return tlsEngine;
  }

  public boolean tlsResume() {
    return tlsResume;
  }

  public int eventLoops() {
    return eventLoops;
  }

  /** Whether session number {@code i} (from 0) uses STARTTLS: exactly the configured share. */
  public boolean usesTls(long i) {
    return (i + 1) * starttlsPercent / 100 > i * starttlsPercent / 100;
  }

  /**
   * @throws IllegalArgumentException naming the first bad setting
   */
  public LoadSettings validate() {
    if (target == null) {
      throw new IllegalArgumentException("--target: required");
    }
    Loopback.address(target.getAddress().getHostAddress());
    if (target.getPort() == 0) {
      throw new IllegalArgumentException("--target: port 0");
    }
    for (InetAddress s : sources) {
      Loopback.address(s.getHostAddress());
    }
    check(sessions >= 1 && sessions <= MAX_SESSIONS, "--sessions: 1 to " + MAX_SESSIONS);
    check(messages >= 0 && messages <= 100_000_000L, "--messages: 0 to 100000000");
    check(size >= MessageBody.MIN_SIZE && size <= 100_000_000, "--size: " + MessageBody.MIN_SIZE + " to 100000000 bytes");
    check(starttlsPercent >= 0 && starttlsPercent <= 100, "--starttls: always, never or 0 to 100");
    check(rate >= 0, "--rate: 0 (no cap) or more");
    check(!duration.isNegative() && !duration.isZero() && duration.compareTo(MAX_DURATION) <= 0,
        "--duration: more than 0, at most " + MAX_DURATION.toMinutes() + "m");
    check(!warmup.isNegative() && warmup.compareTo(duration) < 0, "--warmup: 0 or more, less than --duration");
    check(perSession >= 0, "--per-session: 0 (spread evenly) or more");
    check(connections >= 0 && connections <= 100_000_000L, "--connections: 0 to 100000000");
    check(!replyTimeout.isNegative() && !replyTimeout.isZero(), "--timeout: more than 0");
    check(!connectTimeout.isNegative() && !connectTimeout.isZero(), "--connect-timeout: more than 0");
    check(maxOpening >= 1, "--max-opening: at least 1");
    check(tlsEngine.equals("openssl") || tlsEngine.equals("jdk"), "--tls-engine: openssl or jdk");
    check(eventLoops >= 1 && eventLoops <= 64, "--event-loops: 1 to 64");
    check(!mailFrom.contains(">") && !mailFrom.contains("\r") && !mailFrom.contains("\n"), "--from: a plain address");
    check(!rcptTo.isEmpty() && !rcptTo.contains(">") && !rcptTo.contains("\r") && !rcptTo.contains("\n"),
        "--rcpt: a plain address");
    check(!ehloName.isEmpty() && ehloName.matches("[A-Za-z0-9.\\-\\[\\]:]+"), "--ehlo: a host name");
    return this;
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The settings as the report echoes them. */
  public String describe() {
    return "target " + Loopback.format(target) + ", sessions " + sessions + ", messages " + messages
        + ", size " + size + ", starttls " + starttlsPercent + "%, per-session " + effectivePerSession()
        + (messages == 0 && !hold ? ", connections " + effectiveConnections() : "")
        + (rate > 0 ? ", rate " + rate + "/s" : "") + ", duration " + duration.toMillis() / 1000.0 + "s"
        + (warmup.isZero() ? "" : ", warm-up " + warmup.toMillis() / 1000.0 + "s")
        + (hold ? ", hold" : "");
  }
}
