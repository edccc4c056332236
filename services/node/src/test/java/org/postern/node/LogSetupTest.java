package org.postern.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log writer: lines queued while it writes go out together in one write, none lost or
 * reordered, a full queue drops and counts instead of blocking, and flush waits for what came before.
 */
class LogSetupTest {

  private static final String PID = "[" + ProcessHandle.current().pid() + "]: ";

  @TempDir
  Path dir;

  /** Records every write call; the first one waits until the test opens the gate. */
  private static final class GatedOut extends OutputStream {
    final List<String> writes = Collections.synchronizedList(new ArrayList<>());
    final CountDownLatch inFirstWrite = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);

    @Override
    public void write(int b) {
      writes.add("single byte " + b); // a per-byte path would show up as extra writes
    }

    @Override
    public void write(byte[] b, int off, int len) {
      inFirstWrite.countDown();
      try {
        if (!gate.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("gate never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      writes.add(new String(b, off, len, StandardCharsets.UTF_8));
    }
  }

  private static LogRecord record(Level level, String logger, String message) {
    LogRecord r = new LogRecord(level, message);
    r.setLoggerName(logger);
    r.setMillis(1_764_000_000_123L); // 2025-11-24T16:00:00.123Z
    return r;
  }

  private static String line(String component, String text) {
    return "2025-11-24T16:00:00.123Z mx postern/" + component + PID + text + System.lineSeparator();
  }

  @Test
  void linesQueuedDuringAWriteGoOutTogetherInOrder() throws Exception {
    GatedOut out = new GatedOut();
    LogSetup.AsyncLineHandler h = new LogSetup.AsyncLineHandler(out, "mx", 65536);
    h.publish(record(Level.INFO, "postern.queue", "line 0"));
    assertTrue(out.inFirstWrite.await(10, TimeUnit.SECONDS), "the writer never wrote the first line");
    StringBuilder rest = new StringBuilder();
    for (int i = 1; i < 1000; i++) {
      h.publish(record(Level.INFO, "postern.queue", "line " + i));
      rest.append(line("qmgr", "line " + i));
    }
    out.gate.countDown();
    h.flush();
    assertEquals(List.of(line("qmgr", "line 0"), rest.toString()), out.writes);
  }

  @Test
  void aFullQueueDropsAndCountsWithoutBlocking() throws Exception {
    GatedOut out = new GatedOut();
    LogSetup.AsyncLineHandler h = new LogSetup.AsyncLineHandler(out, "mx", 10);
    h.publish(record(Level.INFO, "postern.inbound", "held"));
    assertTrue(out.inFirstWrite.await(10, TimeUnit.SECONDS), "the writer never wrote the first line");
    for (int i = 1; i <= 25; i++) { // 10 fit, 15 are dropped: publish returns while the writer is stuck
      h.publish(record(Level.INFO, "postern.inbound", "line " + i));
    }
    out.gate.countDown();
    h.flush();
    h.publish(record(Level.WARNING, "postern.inbound", "after"));
    h.flush();
    StringBuilder expected = new StringBuilder(line("smtpd", "held"));
    for (int i = 1; i <= 10; i++) {
      expected.append(line("smtpd", "line " + i));
    }
    expected.append("[15 log lines dropped: log writer too slow]").append(System.lineSeparator())
        .append(line("smtpd", "warning: after"));
    assertEquals(expected.toString(), String.join("", out.writes));
  }

  @Test
  void aFileGetsEveryLineInOrderAppendedToWhatWasThere() throws Exception {
    Path file = dir.resolve("postern.log");
    Files.writeString(file, "earlier\n");
    LogSetup.AsyncLineHandler h = new LogSetup.AsyncLineHandler(new FileOutputStream(file.toFile(), true), "mx", 65536);
    StringBuilder expected = new StringBuilder("earlier\n");
    for (int i = 0; i < 20000; i++) { // many batches of whatever size the writer finds queued
      h.publish(record(Level.SEVERE, "postern.outbound", "line " + i));
      expected.append(line("smtp", "error: line " + i));
    }
    h.publish(record(Level.INFO, "io.netty.Foo", "library line"));
    h.close();
    expected.append(line("lib:io.netty.Foo", "library line"));
    assertEquals(expected.toString(), Files.readString(file));
  }

  @Test
  void jsonGivesOneObjectPerLineWithTheTextLinesFields() throws Exception {
    Path file = dir.resolve("postern.json");
    LogSetup.AsyncLineHandler h = new LogSetup.AsyncLineHandler(new FileOutputStream(file.toFile(), true), "mx", 64,
        LogSetup.Format.JSON);
    h.publish(record(Level.INFO, "postern.outbound", "0123456789ABCDEF: to=<u@example.net>, relay=mx[192.0.2.1]:25,"
        + " delay=0.42, delays=0.1/0/0.2/0.12, dsn=2.0.0, status=sent (250 2.0.0 Ok, queued), tls=none"));
    h.publish(record(Level.WARNING, "postern.inbound", "0123456789ABCDEF: disconnect from x[192.0.2.2] commands=0"));
    h.close();
    List<String> lines = Files.readAllLines(file);
    assertEquals(2, lines.size(), lines.toString());
    io.vertx.core.json.JsonObject sent = new io.vertx.core.json.JsonObject(lines.get(0));
    assertEquals("2025-11-24T16:00:00.123Z", sent.getString("time"));
    assertEquals("mx", sent.getString("host"));
    assertEquals("postern/smtp", sent.getString("program"));
    assertEquals(ProcessHandle.current().pid(), sent.getLong("pid"));
    assertEquals("info", sent.getString("level"));
    assertEquals("0123456789ABCDEF", sent.getString("id"));
    assertEquals(new io.vertx.core.json.JsonObject().put("to", "<u@example.net>").put("relay", "mx[192.0.2.1]:25")
        .put("delay", "0.42").put("delays", "0.1/0/0.2/0.12").put("dsn", "2.0.0")
        .put("status", "sent (250 2.0.0 Ok, queued)").put("tls", "none"), sent.getJsonObject("fields"));
    io.vertx.core.json.JsonObject warned = new io.vertx.core.json.JsonObject(lines.get(1));
    assertEquals("warning", warned.getString("level"));
    assertEquals("postern/smtpd", warned.getString("program"));
    assertEquals(null, warned.getJsonObject("fields"));
    assertEquals("0123456789ABCDEF: disconnect from x[192.0.2.2] commands=0", warned.getString("message"));
  }
}
