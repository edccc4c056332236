package org.postern.queue;

import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** What a spool directory holds, read from its files as recovery would read them (for tests). */
final class OnDisk {

  private OnDisk() {}

  /** The ids of the messages stored in {@code spoolDir} that its journal does not say are finished. */
  static Set<String> queued(Path spoolDir) throws IOException {
    Set<String> finished = new HashSet<>();
    for (JsonArray r : new Journal(spoolDir.resolve("journal"), Journal.Steps.NONE).replay()) {
      switch (r.getString(0)) {
        case "F", "M" -> finished.add(r.getString(1) + "/" + r.getString(2));
        case "S" -> finished.remove(r.getString(1) + "/" + r.getString(2));
        default -> { }
      }
    }
    Set<String> ids = new HashSet<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(spoolDir.resolve("active"), "*.{seg,msg,batch}")) {
      for (Path p : files) {
        byte[] all = Files.readAllBytes(p);
        String name = p.getFileName().toString();
        if (name.endsWith(Segments.SUFFIX)) {
          Segments.read(p, all).records().forEach(r -> add(ids, finished, r.message().queueId(), name));
        } else {
          for (int at = 0; at < all.length; ) {
            QueueRecord r = QueueRecord.parse(all, at);
            add(ids, finished, r.message().queueId(), name);
            at = Math.toIntExact(r.end());
          }
        }
      }
    }
    return ids;
  }

  private static void add(Set<String> ids, Set<String> finished, String id, String file) {
    if (!finished.contains(id + "/" + file)) {
      ids.add(id);
    }
  }

  /** Whether {@code spoolDir} holds {@code id} unfinished; false when the files cannot be read now. */
  static boolean holds(Path spoolDir, String id) {
    try {
      return queued(spoolDir).contains(id);
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}
