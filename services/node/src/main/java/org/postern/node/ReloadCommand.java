package org.postern.node;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.postern.config.ConfigException;
import org.postern.config.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code postern reload}: the reload SIGHUP does ({@code postfix reload}), asked of a running node
 * through its admin API, with what it applied and what waits for a restart printed here rather
 * than only in the node's log. Exit 0 applied, 1 not (nothing or only part applied), 2 usage or
 * no answer, so a script tells a bad configuration from a node it cannot reach.
 */
@Command(name = "reload", mixinStandardHelpOptions = true,
    description = {"Make a running node reread its configuration file, policy files and certificates"
        + " (as SIGHUP does) and print what it applied and what needs a restart.",
        "Exit status: 0 applied, 1 the reload failed (the cause is printed), 2 usage error or no node answering."})
final class ReloadCommand implements Callable<Integer> {

  @Option(names = "--json", description = "Print the node's answer as JSON.")
  boolean json;

  @Mixin
  AdminOptions node;

  @Override
  public Integer call() throws Exception {
    if (node.config != null && java.nio.file.Files.isRegularFile(node.config) && (node.admin == null || node.dataDir == null)) {
      // The file the node will reread is the one that tells where the node listens: when it does
      // not read, the node would refuse it too, so say why here (exit 1) rather than "no address".
      try {
        ConfigLoader.load(node.config, List.of());
      } catch (ConfigException e) {
        e.problems().forEach(p -> System.err.println("postern reload: configuration error: " + p));
        System.err.println("postern reload: nothing applied (not sent to the node, which would refuse it"
            + " the same way); the node runs on as it was");
        return 1;
      }
    }
    JsonObject answer;
    try {
      answer = node.client().post("/reload", new JsonObject(), Duration.ofSeconds(90));
    } catch (AdminClient.Failure f) {
      System.err.println("postern reload: " + f.getMessage());
      return 2;
    }
    ReloadReport report = ReloadReport.fromJson(answer);
    if (json) {
      System.out.println(answer.encodePrettily());
    } else {
      report.applied().forEach(a -> System.out.println("applied: " + a));
      report.restart().forEach(k -> System.out.println("needs a restart: " + k));
      if (report.ok() && report.applied().isEmpty() && report.restart().isEmpty()) {
        System.out.println("applied: nothing changed");
      }
    }
    System.out.flush();
    if (!report.problems().isEmpty()) {
      report.problems().forEach(p -> System.err.println("postern reload: configuration error: " + p));
      System.err.println("postern reload: nothing applied; the node runs on as it was");
      return 1;
    }
    if (!report.kept().isEmpty()) {
      report.kept().forEach(k -> System.err.println("postern reload: not applied: " + k));
      return 1;
    }
    return 0;
  }
}
