# Join two tables on a key.
people <- data.frame(id = 1:4, name = c("Ann", "Bob", "Cy", "Di"))
scores <- data.frame(id = c(2, 4, 4, 5), score = c(88, 92, 75, 60))
m <- merge(people, scores, by = "id")
print(m)
all <- merge(people, scores, by = "id", all.x = TRUE)
print(all[is.na(all$score), "name"])
