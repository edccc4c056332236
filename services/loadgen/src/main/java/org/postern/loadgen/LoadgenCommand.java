package org.postern.loadgen;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code postern loadgen}: SMTP load on a loopback target, with a report. Exit code 0 when nothing
 * failed, 1 when something did, 2 for bad options (including a target that is not loopback).
 */
@Command(name = "loadgen", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Put SMTP load (optionally STARTTLS) on a loopback target and report throughput, latency "
            + "percentiles, TLS facts and errors. Every run ends after its messages (or connections, "
            + "or held sessions) and at --duration at the latest.",
        "Modes: --messages M > 0 sends M messages over --sessions N concurrent sessions; "
            + "--messages 0 opens --connections sessions (set-up and QUIT only: a handshake-rate run); "
            + "--hold keeps N sessions open and idle after set-up until --duration ends."},
    subcommands = {SinkCommand.class})
public final class LoadgenCommand implements Callable<Integer> {

  @Option(names = "--target", paramLabel = "HOST:PORT",
      description = "The SMTP server: 127.0.0.0/8, [::1] or localhost only.")
  String target;

  @Option(names = "--sessions", paramLabel = "N", defaultValue = "10",
      description = "Concurrent sessions (default: ${DEFAULT-VALUE}).")
  int sessions;

  @Option(names = "--messages", paramLabel = "M", defaultValue = "100",
      description = "Messages in total; 0 for set-up only (default: ${DEFAULT-VALUE}).")
  long messages;

  @Option(names = "--size", paramLabel = "BYTES", defaultValue = "4096",
      description = "Size of each message's content, before dot-stuffing (default: ${DEFAULT-VALUE}).")
  int size;

  @Option(names = "--starttls", paramLabel = "always|never|PCT", defaultValue = "never",
      description = "Which share of the sessions use STARTTLS (default: ${DEFAULT-VALUE}).")
  String starttls;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
      description = "Cap on new messages per second (with --messages 0: new sessions); 0: none.")
  double rate;

  @Option(names = "--duration", paramLabel = "D", defaultValue = "60s", converter = DurationConverter.class,
      description = "Hard time bound, e.g. 30s or 5m (default: ${DEFAULT-VALUE}; at most 1h).")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "D", defaultValue = "0s", converter = DurationConverter.class,
      description = "Leave the first D out of rates and latency percentiles (its messages still count).")
  Duration warmup;

  @Option(names = "--per-session", paramLabel = "K", defaultValue = "0",
      description = "Messages per session; 0: spread evenly over the sessions.")
  int perSession;

  @Option(names = "--connections", paramLabel = "T", defaultValue = "0",
      description = "With --messages 0: sessions to open in total (default: --sessions).")
  long connections;

  @Option(names = "--hold", description = "Keep the sessions open and idle after set-up until --duration ends.")
  boolean hold;

  @Option(names = "--json", description = "Print the report as JSON on stdout.")
  boolean json;

  @Option(names = "--source", paramLabel = "ADDR", split = ",",
      description = "Loopback source addresses to connect from, in turn (more ports than one address has).")
  List<String> sources = new ArrayList<>();

  @Option(names = "--from", defaultValue = "loadgen@loadgen.invalid", description = "MAIL FROM address.")
  String from;

  @Option(names = "--rcpt", defaultValue = "sink@sink.invalid", description = "RCPT TO address.")
  String rcpt;

  @Option(names = "--ehlo", defaultValue = "loadgen.invalid", description = "EHLO name.")
  String ehlo;

  @Option(names = "--timeout", paramLabel = "D", defaultValue = "60s", converter = DurationConverter.class,
      description = "Deadline for each reply and for the TLS handshake (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--connect-timeout", paramLabel = "D", defaultValue = "10s", converter = DurationConverter.class,
      description = "TCP connect deadline (default: ${DEFAULT-VALUE}).")
  Duration connectTimeout;

  @Option(names = "--max-opening", paramLabel = "N", defaultValue = "256",
      description = "Sessions in set-up at once, which paces the ramp (default: ${DEFAULT-VALUE}).")
  int maxOpening;

  @Option(names = "--tls-engine", paramLabel = "openssl|jdk", defaultValue = "openssl",
      description = "The client's TLS engine (default: ${DEFAULT-VALUE}).")
  String tlsEngine;

  @Option(names = "--tls-resume", description = "Allow TLS session resumption (default: every handshake is full).")
  boolean tlsResume;

  @Option(names = "--event-loops", paramLabel = "N", description = "Event loops (default: the number of cores).")
  Integer eventLoops;

  @Option(names = "--quiet", description = "No progress line.")
  boolean quiet;

  @Override
  public Integer call() throws InterruptedException {
    LoadSettings settings;
    try {
      settings = settings();
      settings.validate();
    } catch (IllegalArgumentException e) {
      System.err.println("postern loadgen: " + e.getMessage());
      return 2;
    }
    // The process ends by itself whatever happens: past the duration, the grace period and a
    // generous margin, it halts (Vert.x's event-loop threads would otherwise keep it alive if the
    // main thread died, say on a class that cannot load because the jar was replaced).
    long haltAfter = settings.duration().toMillis() + LaneGroup.STOP_GRACE_MS + 60_000;
    Thread guard = new Thread(() -> {
      try {
        Thread.sleep(haltAfter);
      } catch (InterruptedException e) {
        return;
      }
      System.err.println("postern loadgen: still running " + haltAfter / 1000 + " s after the start; halting");
      Runtime.getRuntime().halt(3);
    }, "loadgen-guard");
    guard.setDaemon(true);
    guard.start();
    LoadGenerator generator = LoadGenerator.start(settings);
    System.err.println("postern loadgen: " + settings.describe() + "; client TLS " + generator.engineDescription());
    CountDownLatch reported = new CountDownLatch(1);
    // SIGTERM or Ctrl-C ends the run early, as --duration would, and still prints the report.
    Thread hook = new Thread(() -> {
      generator.stop();
      try {
        reported.await(LaneGroup.STOP_GRACE_MS + 5000, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "loadgen-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    if (settings.hold()) {
      generator.allSettled().thenRun(() -> {
        LoadGenerator.HoldStatus h = generator.holdStatus();
        System.err.println("postern loadgen: all " + settings.sessions() + " sessions set up: " + h.held()
            + " held, " + h.failed() + " failed");
      });
    }
    Report report;
    Progress progress = quiet ? null : new Progress(generator::snapshot, System.err);
    try {
      report = generator.result().get(settings.duration().toMillis() + LaneGroup.STOP_GRACE_MS + 30_000,
          TimeUnit.MILLISECONDS);
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      System.err.println("postern loadgen: the run did not finish cleanly: " + e);
      reported.countDown();
      return 1;
    } finally {
      if (progress != null) {
        progress.close();
      }
    }
    if (json) {
      System.out.println(report.toJson().encodePrettily());
    } else {
      System.out.print(report.toText());
    }
    System.out.flush();
    reported.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Shutting down already: the hook is running and has just been released.
    }
    return report.clean() ? 0 : 1;
  }

  LoadSettings settings() {
    if (target == null) {
      throw new IllegalArgumentException("--target HOST:PORT is required");
    }
    List<InetAddress> src = new ArrayList<>();
    for (String s : sources) {
      src.add(Loopback.address(s.strip()));
    }
    LoadSettings s = new LoadSettings()
        .target(Loopback.target(target))
        .sessions(sessions)
        .messages(messages)
        .size(size)
        .starttlsPercent(starttlsPercent(starttls))
        .rate(rate)
        .duration(duration)
        .warmup(warmup)
        .perSession(perSession)
        .connections(connections)
        .hold(hold)
        .sources(src)
        .mailFrom(from)
        .rcptTo(rcpt)
        .ehloName(ehlo)
        .replyTimeout(timeout)
        .connectTimeout(connectTimeout)
        .maxOpening(maxOpening)
        .tlsEngine(tlsEngine)
        .tlsResume(tlsResume);
    if (eventLoops != null) {
      s.eventLoops(eventLoops);
    }
    return s;
  }

  static int starttlsPercent(String v) {
    switch (v.toLowerCase(Locale.ROOT)) {
      case "always":
        return 100;
      case "never":
        return 0;
      default:
        try {
          String n = v.endsWith("%") ? v.substring(0, v.length() - 1) : v;
          return Integer.parseInt(n);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--starttls: always, never or a percentage, not '" + v + "'");
        }
    }
  }
}
