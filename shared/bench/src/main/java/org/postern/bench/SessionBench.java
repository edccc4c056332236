package org.postern.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.postern.smtp.CommandParser;
import org.postern.smtp.DataReader;
import org.postern.smtp.Effect;
import org.postern.smtp.Reply;
import org.postern.smtp.SessionSettings;
import org.postern.smtp.SmtpSession;

/**
 * The pure protocol cost of one message: a DATA section through the {@link DataReader}, and a
 * whole session (greeting, EHLO, MAIL, RCPT, DATA, the body, the queue's answer, QUIT) through
 * parser, state machine and reader, playing the adapter as the inbound verticle does but with no
 * sockets, event bus or disk. What the Vert.x adapter, TLS and the queue add comes on top.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SessionBench {

  private static final SessionSettings SETTINGS =
      new SessionSettings("mx.example.com", 10 * 1024 * 1024, 100, true, false);
  private static final Reply RCPT_OK = Reply.of(250, "2.1.5", "Ok");

  /** Message size in octets, body lines of 76 characters as mail clients write them. */
  @Param({"4096", "65536"})
  public int size;

  private List<byte[]> lines;

  @Setup
  public void setUp() {
    lines = new ArrayList<>();
    lines.add("Subject: benchmark".getBytes(StandardCharsets.US_ASCII));
    lines.add(new byte[0]);
    int written = 22;
    int n = 0;
    while (written < size) {
      // Every 20th line starts with a dot, so the reader's unstuffing is part of the cost.
      String text = (n++ % 20 == 0 ? ".." : "") + "x".repeat(74);
      lines.add(text.getBytes(StandardCharsets.US_ASCII));
      written += text.length() + 2;
    }
  }

  @Benchmark
  public byte[] dataSection() {
    return read().body();
  }

  @Benchmark
  public int wholeSession() {
    SmtpSession s = new SmtpSession(SETTINGS, false);
    int effects = s.greet().size();
    effects += s.command(CommandParser.parse("EHLO client.example.net")).size();
    for (Effect e : s.command(CommandParser.parse("MAIL FROM:<sender@example.org> SIZE=" + size))) {
      if (e instanceof Effect.CheckSender) {
        effects += s.senderDecided(null).size();
      }
    }
    for (Effect e : s.command(CommandParser.parse("RCPT TO:<recipient@example.com>"))) {
      if (e instanceof Effect.CheckRecipient c) {
        effects += s.recipientDecided(c.recipient(), RCPT_OK).size();
      }
    }
    effects += s.command(CommandParser.parse("DATA")).size();
    for (Effect e : s.messageRead(read())) {
      if (e instanceof Effect.Enqueue q) {
        effects += q.body().length > 0 ? s.queued("4XyZ0123456789").size() : 0;
      }
    }
    effects += s.command(CommandParser.parse("QUIT")).size();
    return effects;
  }

  private DataReader read() {
    DataReader reader = new DataReader(SETTINGS.maxMessageSize());
    for (byte[] l : lines) {
      reader.line(l);
    }
    reader.line(new byte[] {'.'});
    return reader;
  }
}
