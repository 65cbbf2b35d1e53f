package dev.edgeproxy.repo;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The directions between the parts, as the README's design map draws them. Maven's module graph
 * already keeps modules from depending on what they do not declare; this keeps the packages inside
 * and across modules pointing one way, so a shortcut that would tie the layers together fails here.
 *
 * <pre>
 *   edge-proxy (dev.edgeproxy.server..)  wires everything; nothing depends on it
 *     ├── sni-router (dev.edgeproxy.sni)  Netty and the JDK only
 *     ├── dns-sync (dev.edgeproxy.dns), gitops-sync (dev.edgeproxy.git)  produce allow-list snapshots
 *     └── config: dev.edgeproxy.config → dev.edgeproxy.allowlist → dev.edgeproxy.yaml
 * </pre>
 */
class ArchitectureTest {
  static JavaClasses ours;

  @BeforeAll
  static void importProductionClasses() {
    ours =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // the modules arrive as jars here; their test jars hold fixtures, not the product
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("dev.edgeproxy");
  }

  @Test
  void everyModuleIsImported() {
    for (String pkg :
        new String[] {
          "dev.edgeproxy.config", "dev.edgeproxy.allowlist", "dev.edgeproxy.yaml",
          "dev.edgeproxy.sni", "dev.edgeproxy.dns", "dev.edgeproxy.git", "dev.edgeproxy.server"
        }) {
      org.assertj.core.api.Assertions.assertThat(ours.containPackage(pkg)).as(pkg).isTrue();
    }
  }

  @Test
  void theSniRouterDependsOnNettyAndTheJdkOnly() {
    classes()
        .that()
        .resideInAPackage("dev.edgeproxy.sni..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage("dev.edgeproxy.sni..", "io.netty..", "java..", "javax..")
        .check(ours);
  }

  @Test
  void theConfigModuleDependsOnNothingOfOurs() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.edgeproxy.config..", "dev.edgeproxy.allowlist..", "dev.edgeproxy.yaml..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "dev.edgeproxy.sni..", "dev.edgeproxy.dns..", "dev.edgeproxy.git..", "dev.edgeproxy.server..")
        .check(ours);
  }

  @Test
  void insideTheConfigModuleTheAllowListModelDoesNotKnowTheConfiguration() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.edgeproxy.allowlist..", "dev.edgeproxy.yaml..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.edgeproxy.config..")
        .check(ours);
    noClasses()
        .that()
        .resideInAPackage("dev.edgeproxy.yaml..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.edgeproxy.allowlist..")
        .check(ours);
  }

  @Test
  void theSourcesKnowOnlyTheAllowListModel() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.edgeproxy.dns..", "dev.edgeproxy.git..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("dev.edgeproxy.sni..", "dev.edgeproxy.server..")
        .check(ours);
    noClasses()
        .that()
        .resideInAPackage("dev.edgeproxy.dns..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.edgeproxy.git..")
        .check(ours);
    noClasses()
        .that()
        .resideInAPackage("dev.edgeproxy.git..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.edgeproxy.dns..")
        .check(ours);
  }

  @Test
  void noPackagesDependOnEachOtherInACycle() {
    slices().matching("dev.edgeproxy.(**)").should().beFreeOfCycles().check(ours);
  }
}
