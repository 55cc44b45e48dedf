package dev.graft;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Dependencies point one way: cli -> capabilities (transfer) -> train -> model / data -> io. */
class ArchitectureRulesTest {

    static JavaClasses graft;

    @BeforeAll
    static void load() {
        graft = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.graft");
    }

    @Test
    void foundationsDoNotReachUp() {
        noClasses().that().resideInAnyPackage("dev.graft.data..", "dev.graft.model..",
                "dev.graft.io..").should().dependOnClassesThat().resideInAnyPackage(
                        "dev.graft.train..", "dev.graft.transfer..", "dev.graft.distill..",
                        "dev.graft.compress..", "dev.graft.export..", "dev.graft.lottery..",
                        "dev.graft.analysis..", "dev.graft.cli..")
                .check(graft);
        noClasses().that().resideInAPackage("dev.graft.train..").should().dependOnClassesThat()
                .resideInAnyPackage("dev.graft.transfer..", "dev.graft.distill..",
                        "dev.graft.compress..", "dev.graft.export..").check(graft);
        noClasses().that().resideInAPackage("dev.graft.data..").should().dependOnClassesThat()
                .resideInAPackage("dev.graft.model..").check(graft);
        noClasses().that().resideInAPackage("dev.graft.io..").should().dependOnClassesThat()
                .resideInAnyPackage("dev.graft.data..", "dev.graft.model..").check(graft);
    }

    @Test
    void capabilitiesDoNotReachIntoEachOther() {
        noClasses().that().resideInAPackage("dev.graft.distill..").should().dependOnClassesThat()
                .resideInAPackage("dev.graft.transfer..").check(graft);
        noClasses().that().resideInAPackage("dev.graft.transfer..").should()
                .dependOnClassesThat().resideInAPackage("dev.graft.distill..").check(graft);
        noClasses().that().resideInAPackage("dev.graft.compress..").should()
                .dependOnClassesThat().resideInAnyPackage("dev.graft.transfer..",
                        "dev.graft.distill..").check(graft);
        noClasses().that().resideInAnyPackage("dev.graft.transfer..", "dev.graft.distill..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.graft.compress..",
                        "dev.graft.export..").check(graft);
        // lottery tickets are built on magnitude pruning; nothing else needs tickets
        noClasses().that().resideInAPackage("dev.graft.lottery..").should()
                .dependOnClassesThat().resideInAnyPackage("dev.graft.transfer..",
                        "dev.graft.distill..", "dev.graft.export..").check(graft);
        noClasses().that().resideOutsideOfPackages("dev.graft.lottery..", "dev.graft.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.graft.lottery..")
                .check(graft);
        // the analyses train and measure with the foundations only
        noClasses().that().resideInAPackage("dev.graft.analysis..").should()
                .dependOnClassesThat().resideInAnyPackage("dev.graft.transfer..",
                        "dev.graft.distill..", "dev.graft.compress..", "dev.graft.export..",
                        "dev.graft.lottery..").check(graft);
        noClasses().that().resideOutsideOfPackages("dev.graft.analysis..", "dev.graft.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.graft.analysis..")
                .check(graft);
        // adaptation reads codes and fits linear heads as transfer does; nothing needs it
        noClasses().that().resideInAPackage("dev.graft.adapt..").should()
                .dependOnClassesThat().resideInAnyPackage("dev.graft.distill..",
                        "dev.graft.compress..", "dev.graft.export..", "dev.graft.lottery..",
                        "dev.graft.analysis..").check(graft);
        noClasses().that().resideOutsideOfPackages("dev.graft.adapt..", "dev.graft.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.graft.adapt..")
                .check(graft);
        // exploring codes needs no other capability
        noClasses().that().resideInAPackage("dev.graft.explore..").should()
                .dependOnClassesThat().resideInAnyPackage("dev.graft.distill..",
                        "dev.graft.compress..", "dev.graft.export..", "dev.graft.lottery..",
                        "dev.graft.analysis..", "dev.graft.adapt..").check(graft);
        // export writes what compress made; compress never needs the file format
        noClasses().that().resideInAPackage("dev.graft.compress..").should()
                .dependOnClassesThat().resideInAPackage("dev.graft.export..").check(graft);
    }

    @Test
    void reportsKnowOnlyPagesAndFiles() {
        noClasses().that().resideInAPackage("dev.graft.report..").should().dependOnClassesThat()
                .resideInAnyPackage("dev.graft.train..", "dev.graft.transfer..",
                        "dev.graft.distill..", "dev.graft.cli..", "dev.graft.model..",
                        "dev.graft.data..").check(graft);
    }

    @Test
    void onlyTheCliUsesTheCli() {
        noClasses().that().resideOutsideOfPackage("dev.graft.cli..").should().dependOnClassesThat()
                .resideInAPackage("dev.graft.cli..").check(graft);
    }

    @Test
    void onlyOneAdapterDependsOnTheEngineDirectly() {
        noClasses().that().doNotHaveFullyQualifiedName("dev.graft.train.Autograd")
                .should().dependOnClassesThat().resideInAPackage("ai.djl.pytorch..")
                .check(graft);
    }

    @Test
    void onlyOneAdapterTouchesOnnxRuntime() {
        noClasses().that().doNotHaveFullyQualifiedName("dev.graft.export.OnnxRuntimeModel")
                .should().dependOnClassesThat().resideInAPackage("ai.onnxruntime..")
                .check(graft);
    }
}
