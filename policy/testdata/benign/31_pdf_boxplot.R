# Boxplots into a PDF.
pdf("boxes.pdf")
boxplot(len ~ supp, data = ToothGrowth, col = c("orange", "lightblue"))
title("Tooth growth")
dev.off()
print(file.exists("boxes.pdf"))
