# One-way ANOVA and Tukey's honest differences.
fit <- aov(weight ~ group, data = PlantGrowth)
print(summary(fit))
print(TukeyHSD(fit))
