package org.postern.inbound;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.postern.smtp.Reply;

/**
 * The commands of one session for its disconnect line, as Postfix's smtpd counts them
 * ({@code ehlo=1 starttls=1 mail=1 rcpt=0/1 data=0/1 quit=1 commands=3/5}): per verb, how many
 * succeeded out of how many were sent, the total last. A command succeeded when its final reply
 * is positive; an intermediate reply (354, 334) leaves it open. Single event loop: no locking.
 */
final class CommandCounts {

  /** Per verb in the order first seen: {succeeded, sent}. */
  private final Map<String, int[]> counts = new LinkedHashMap<>();
  /** The command whose final reply is still to come, or null. */
  private int[] open;

  /** A command was read; its reply is the next one written. */
  void sent(String verb) {
    open = counts.computeIfAbsent(verb.toLowerCase(Locale.ROOT), v -> new int[2]);
    open[1]++;
  }

  /** A reply was written: it ends the open command unless it asks for more. */
  void replied(Reply reply) {
    if (open == null || reply.code() / 100 == 3) {
      return;
    }
    if (reply.code() / 100 == 2) {
      open[0]++;
    }
    open = null;
  }

  /** {@code ehlo=1 mail=0/1 commands=1/2}; {@code commands=0} for a session that sent none. */
  String summary() {
    StringBuilder sb = new StringBuilder();
    int ok = 0;
    int all = 0;
    for (Map.Entry<String, int[]> e : counts.entrySet()) {
      int[] c = e.getValue();
      sb.append(e.getKey()).append('=').append(pair(c[0], c[1])).append(' ');
      ok += c[0];
      all += c[1];
    }
    return sb.append("commands=").append(pair(ok, all)).toString();
  }

  private static String pair(int ok, int all) {
    return ok == all ? Integer.toString(all) : ok + "/" + all;
  }
}
