package org.postern.node;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code postern version}: the same line as {@code postern --version}, from the one place it is declared. */
@Command(name = "version", description = "Print the version.")
final class VersionCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    for (String line : spec.root().version()) {
      System.out.println(line);
    }
    return 0;
  }
}
