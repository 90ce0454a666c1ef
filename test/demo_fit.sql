-- gmm demo, fitting section (included by test/demo.sql when gmm_fit exists).

-- 2000 rows drawn from the two_blobs model ...
CREATE TABLE draws AS
SELECT x FROM models, gmm_sample(m, 2000, 7) AS x WHERE name = 'two_blobs';

-- ... and a 2-component model fitted to them by EM (gmm_fit aggregate).
INSERT INTO models
SELECT 'fitted', gmm_fit(x, 2) FROM draws;

SELECT m FROM models WHERE name = 'fitted';
