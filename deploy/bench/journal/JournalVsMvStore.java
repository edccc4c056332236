package org.postern.queue;

import io.vertx.core.json.JsonArray;
import java.nio.file.*;
import java.util.*;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * deploy/bench/journal-vs-mvstore.sh: rounds of K queue-state changes (half "delivery under way",
 * half "finished"), each round made durable, with the spool's Journal (one write, one fdatasync)
 * and with H2's MVStore (puts and removes in a map, commit, sync). Prints time per round and the
 * octets each leaves on disk. Two passes; the second is the warm one.
 */
public class JournalVsMvStore {
  /** Octets this process caused to be written to the storage device (Linux /proc/self/io). */
  static long written() throws java.io.IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
      if (line.startsWith("write_bytes:")) {
        return Long.parseLong(line.substring(12).trim());
      }
    }
    return -1;
  }

  public static void main(String[] a) throws Exception {
    Path dir = Files.createTempDirectory(Path.of(a[0]), "jvm");
    int rounds = Integer.parseInt(a[1]);
    int k = Integer.parseInt(a[2]);
    for (int pass = 0; pass < 2; pass++) {
      Journal j = new Journal(dir.resolve("journal" + pass), Journal.Steps.NONE);
      j.keepOpen();
      long w0 = written();
      long t0 = System.nanoTime();
      int id = 0;
      for (int r = 0; r < rounds; r++) {
        List<JsonArray> recs = new ArrayList<>();
        for (int i = 0; i < k; i++, id++) {
          String q = String.format("01A2524D6D%06X", id);
          recs.add(i % 2 == 0 ? new JsonArray().add("I").add(q) : new JsonArray().add("F").add(q).add("01A2524D6D21C61F.batch"));
        }
        j.append(recs, true);
      }
      long jn = System.nanoTime() - t0;
      long jw = written() - w0;
      long jsize = Files.size(Files.list(dir.resolve("journal" + pass)).findFirst().get());
      j.close();

      Path mv = dir.resolve("mv" + pass + ".db");
      MVStore s = new MVStore.Builder().fileName(mv.toString()).autoCommitDisabled().open();
      MVMap<String, String> state = s.openMap("state");
      w0 = written();
      t0 = System.nanoTime();
      id = 0;
      for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < k; i++, id++) {
          String q = String.format("01A2524D6D%06X", id);
          if (i % 2 == 0) {
            state.put(q, "I");
          } else {
            state.remove(String.format("01A2524D6D%06X", id - 1));
          }
        }
        s.commit();
        s.sync();
      }
      long mn = System.nanoTime() - t0;
      long mw = written() - w0;
      s.close();
      long msize = Files.size(mv);
      System.out.printf("pass %d: %d rounds of %d changes: journal %.3f ms/round, %d octets in the file, %d written to"
          + " the device; MVStore %.3f ms/round, %d octets in the file, %d written to the device%n",
          pass, rounds, k, jn / 1e6 / rounds, jsize, jw, mn / 1e6 / rounds, msize, mw);
    }
  }
}
